/**
 * The app's HTTP routes as Fastify registers them, collected with an onRoute hook (Fastify keeps
 * no public list). The role-matrix test walks this list, so a route added without a policy entry
 * fails that test instead of shipping with whatever access its author assumed.
 */
import type { FastifyInstance } from 'fastify';

export interface RegisteredRoute {
  method: string;
  url: string;
}

/** Starts collecting; call before any route is registered. The array fills as plugins load. */
export function routeTable(app: FastifyInstance): readonly RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      // HEAD is added by Fastify beside each GET and answers as its GET does.
      if (method === 'HEAD') continue;
      routes.push({ method, url: route.url });
    }
  });
  return routes;
}

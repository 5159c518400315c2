/** The domain event bus (server/ops/domain-events.ts) shared by alarms, cases, SLA clocks, dispatch and the ops stream. */
import fp from 'fastify-plugin';
import { DomainEvents } from '../ops/domain-events.ts';

declare module 'fastify' {
  interface FastifyInstance { domainEvents: DomainEvents }
}

export default fp(async (app) => {
  const events = new DomainEvents();
  events.onError = (err, event) => app.log.error({ err, event }, 'domain event listener failed');
  app.decorate('domainEvents', events);
}, { name: 'domain-events' });

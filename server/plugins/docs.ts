/** OpenAPI document generated from the route schemas, browsable at /docs. */
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

export default fp<{ version: string }>(async (app, opts) => {
  await app.register(swagger, {
    openapi: {
      info: { title: 'CityOps Command API', version: opts.version, description: 'Live state, district geometry and administration of a city-management command center.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
}, { name: 'docs' });

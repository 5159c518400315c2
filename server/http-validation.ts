/**
 * JSON bodies are checked as sent, before Ajv's validation. The app's Ajv converts types
 * (coerceTypes), which query strings and params need — they are text — but which applied to
 * bodies turned wrong input into valid-looking values: `{"approve": null}` became `false` and
 * rejected a pending request, `{"lon": true}` became 1, `{"unitId": 17}` became "17",
 * `{"photoIds": "p1"}` became ["p1"]. Here every route's body schema is also compiled with
 * TypeBox, whose check converts nothing; a body that fails it is a 400 like any validation error.
 */
import fp from 'fastify-plugin';
import type { FastifyError, FastifyRequest, preValidationHookHandler } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

function bodyError(errors: { instancePath: string; message: string }[]): FastifyError {
  const first = errors[0];
  const err = new Error(`body${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`) as FastifyError;
  err.statusCode = 400;
  err.validation = errors as unknown as FastifyError['validation'];
  err.validationContext = 'body';
  return err;
}

export default fp(async (app) => {
  app.addHook('onRoute', (route) => {
    const schema = route.schema?.body as TSchema | undefined;
    if (!schema || typeof schema !== 'object' || !('type' in schema || 'anyOf' in schema)) return;
    const checker = Compile(schema);
    // A body declared optional may be left out altogether (a POST with no body): it counts as empty.
    const optional = Type.IsOptional(schema);
    const strictBody: preValidationHookHandler = function (req: FastifyRequest, _reply, done) {
      if (req.body === undefined && optional) {
        req.body = {};
        return done();
      }
      // Raw bodies (photos) are Buffers checked by their route, not JSON.
      if (Buffer.isBuffer(req.body) || checker.Check(req.body)) return done();
      done(bodyError([...checker.Errors(req.body)]));
    };
    const existing = route.preValidation;
    route.preValidation = existing === undefined ? [strictBody] : [strictBody, ...(Array.isArray(existing) ? existing : [existing])];
  });
}, { name: 'strict-body' });

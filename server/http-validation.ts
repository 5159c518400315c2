/**
 * JSON bodies are checked as sent, before Ajv's validation, and numbers in a path or a query
 * string must be written as plain decimals. The app's Ajv converts types
 * (coerceTypes), which query strings and params need — they are text — but which applied to
 * bodies turned wrong input into valid-looking values: `{"approve": null}` became `false` and
 * rejected a pending request, `{"lon": true}` became 1, `{"unitId": 17}` became "17",
 * `{"photoIds": "p1"}` became ["p1"]. Here every route's body schema is also compiled with
 * TypeBox, whose check converts nothing; a body that fails it is a 400 like any validation error.
 * Coercion stays for params and query strings, but Ajv reads numbers loosely (`"0x10" == 16`,
 * `"1e1"`, `" 7"`), so `/api/cases/0x10` reached case 16: a numeric param or query value that is
 * not a plain decimal is refused before Ajv converts it.
 */
import fp from 'fastify-plugin';
import type { FastifyError, FastifyRequest, RouteOptions, preValidationHookHandler } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

type Part = 'body' | 'params' | 'querystring';

function validationError(part: Part, errors: { instancePath: string; message: string }[]): FastifyError {
  const first = errors[0];
  const err = new Error(`${part}${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`) as FastifyError;
  err.statusCode = 400;
  err.validation = errors as unknown as FastifyError['validation'];
  err.validationContext = part;
  return err;
}

/** A decimal as people and programs write it: optional minus, digits, optional fraction. */
const PLAIN_DECIMAL = /^-?[0-9]+(\.[0-9]+)?$/;

function isNumeric(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return false;
  const s = schema as { type?: unknown; anyOf?: unknown[]; items?: unknown };
  if (s.type === 'integer' || s.type === 'number') return true;
  if (Array.isArray(s.type)) return s.type.includes('integer') || s.type.includes('number');
  if (s.type === 'array') return isNumeric(s.items);
  return Array.isArray(s.anyOf) && s.anyOf.some(isNumeric);
}

/** The names of an object schema's properties that Ajv would read as numbers. */
export function numericProperties(schema: unknown): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const props = (schema as { properties?: Record<string, unknown> }).properties;
  return props ? Object.keys(props).filter((k) => isNumeric(props[k])) : [];
}

/** Errors for the values of `names` in `values` (raw text, or arrays of it) that are not plain decimals. */
export function looseNumbers(values: unknown, names: readonly string[]): { instancePath: string; message: string }[] {
  if (typeof values !== 'object' || values === null) return [];
  const errors: { instancePath: string; message: string }[] = [];
  for (const name of names) {
    const v = (values as Record<string, unknown>)[name];
    for (const x of Array.isArray(v) ? v : [v]) {
      if (typeof x === 'string' && !PLAIN_DECIMAL.test(x)) errors.push({ instancePath: `/${name}`, message: 'must be a plain decimal number' });
    }
  }
  return errors;
}

function prependPreValidation(route: RouteOptions, hook: preValidationHookHandler): void {
  const existing = route.preValidation;
  route.preValidation = existing === undefined ? [hook] : [hook, ...(Array.isArray(existing) ? existing : [existing])];
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
      done(validationError('body', [...checker.Errors(req.body)]));
    };
    prependPreValidation(route, strictBody);
  });
  app.addHook('onRoute', (route) => {
    const numericParams = numericProperties(route.schema?.params);
    const numericQuery = numericProperties(route.schema?.querystring);
    if (numericParams.length === 0 && numericQuery.length === 0) return;
    const strictNumbers: preValidationHookHandler = function (req, _reply, done) {
      const params = looseNumbers(req.params, numericParams);
      if (params.length > 0) return done(validationError('params', params));
      const query = looseNumbers(req.query, numericQuery);
      if (query.length > 0) return done(validationError('querystring', query));
      done();
    };
    prependPreValidation(route, strictNumbers);
  });
}, { name: 'strict-body' });

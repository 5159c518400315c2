/**
 * Every refusal under /open311 is the spec's error list — `[{code, description}]` in JSON,
 * `<errors><error><code/><description/></error></errors>` in XML — with the HTTP status as the
 * code. Our own refusals (HttpError) carry a description written for the client; anything
 * else (a body that does not parse, a body too large, a crash) gets a fixed description, since
 * a parser's message may quote the body and the body may hold an api_key or rating_key.
 */
import type { Open311Error } from '../../shared/open311.ts';
import { HttpError } from '../http-error.ts';

const FIXED: Readonly<Record<number, string>> = {
  400: 'the request body could not be read: send application/x-www-form-urlencoded, multipart/form-data or JSON',
  404: 'not found',
  405: 'method not allowed',
  406: 'format not acceptable: use .json or .xml',
  413: 'the request body is too large',
  415: 'unsupported content type: send application/x-www-form-urlencoded, multipart/form-data or JSON',
  429: 'too many requests: slow down',
};

export interface MappedError { status: number; errors: Open311Error[] }

/** The HTTP status and the spec's error list for any error thrown under /open311. */
export function open311Error(err: unknown, requestId: string): MappedError {
  if (err instanceof HttpError) return { status: err.statusCode, errors: [{ code: err.statusCode, description: err.message }] };
  const status = typeof (err as { statusCode?: unknown })?.statusCode === 'number' ? (err as { statusCode: number }).statusCode : 500;
  if (status >= 500 || status < 400) return { status: 500, errors: [{ code: 500, description: `internal error (request ${requestId})` }] };
  return { status, errors: [{ code: status, description: FIXED[status] ?? `request refused (${status})` }] };
}

/** A refusal naming the field (the spec: "a description of the error"); 400 unless told. */
export const refuse = (status: number, description: string): HttpError => new HttpError(status, `open311_${status}`, description);

/** An error with an HTTP status and a stable code; the error handler turns it into `{ error: { code, message } }`. */
export class HttpError extends Error {
  constructor(readonly statusCode: number, readonly code: string, message: string, readonly details?: unknown) {
    super(message);
    this.name = 'HttpError';
  }
}

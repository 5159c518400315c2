/**
 * What the request log may say about a URL. Walls open `/wall?token=…`, signed photo links
 * carry `sig=…`, and Open311 clients may send `api_key` in a query string: the values of such
 * parameters are replaced before the line is written, so no log holds a credential.
 */
const SECRET_PARAMS = new Set(['token', 'sig', 'api_key', 'apikey', 'key', 'password', 'secret', 'access_token']);

export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const parts = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = decodeURIComponentSafe(eq < 0 ? pair : pair.slice(0, eq)).toLowerCase();
    return eq >= 0 && SECRET_PARAMS.has(name) ? `${pair.slice(0, eq)}=[redacted]` : pair;
  });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Fastify's request serializer with the URL redacted. */
export function requestLogSerializer(req: { method: string; url: string; hostname?: string; ip?: string; socket?: { remotePort?: number } }): Record<string, unknown> {
  return { method: req.method, url: redactUrl(req.url), host: req.hostname, remoteAddress: req.ip, remotePort: req.socket?.remotePort };
}

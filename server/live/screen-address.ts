/**
 * Which address a screen's socket counts against (LIVE_MAX_SOCKETS_PER_ADDRESS). Behind a load
 * balancer every screen's TCP peer is the balancer, so a hundred walls would share one address
 * and be refused after the first 64: when TRUST_PROXY names the proxies in front, the address is
 * the client they forwarded, by the same rule (@fastify/proxy-addr) as the HTTP routes' req.ip.
 * Without TRUST_PROXY an X-Forwarded-For header is ignored: a client cannot pick its own address.
 */
import proxyAddr from '@fastify/proxy-addr';
import type { IncomingMessage } from 'node:http';
import { fastifyTrustProxy, type TrustProxy } from '../auth/hardening-config.ts';

export function screenAddressOf(trust: TrustProxy): (req: IncomingMessage) => string {
  const asFastify = fastifyTrustProxy(trust);
  if (asFastify === false) return (req) => req.socket.remoteAddress ?? '';
  // TRUST_PROXY=true is refused by the configuration, so what is left is a hop rule or a list.
  const trusted = typeof asFastify === 'function' ? asFastify : proxyAddr.compile(asFastify === true ? [] : asFastify);
  return (req) => proxyAddr(req, trusted);
}

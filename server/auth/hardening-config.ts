/**
 * The settings of production hardening (read by server/config.ts): which proxies to believe
 * about the client's address, how long the audit log is kept, and what production mode
 * refuses to start without.
 */
import { BlockList, isIP } from 'node:net';
import { Type } from 'typebox';
import { describePasswordProblem, passwordProblem } from './password-policy.ts';

export const HARDENING_ENV = {
  TRUST_PROXY: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  AUDIT_RETENTION_DAYS: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
};

/** Fastify's trustProxy: off, the number of proxy hops in front, or the proxies' addresses/CIDR ranges. */
export type TrustProxy = false | number | string[];

/**
 * As Fastify takes it: a hop count becomes the function Fastify itself builds from a number
 * (trust the first n addresses counted from the socket), which its types do not list.
 */
export function fastifyTrustProxy(tp: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof tp === 'number' ? (_address: string, hop: number) => hop < tp : tp;
}

export interface HardeningConfig { trustProxy: TrustProxy; auditRetentionDays: number }

/**
 * TRUST_PROXY: unset or `false` (the default: X-Forwarded-For is ignored, the client is the TCP
 * peer), a hop count `1`..`10`, or a comma-separated list of addresses and CIDR ranges. `true`
 * (believe any X-Forwarded-For) is refused: any client could then pick its own address and
 * escape the per-address login lockout.
 */
export function parseTrustProxy(value: string | undefined): TrustProxy | { problem: string } {
  if (value === undefined || value === 'false' || value === '0') return false;
  if (/^[0-9]+$/.test(value)) {
    const hops = Number(value);
    return hops >= 1 && hops <= 10 ? hops : { problem: 'a hop count must be 1..10' };
  }
  if (value === 'true') return { problem: 'true would let any client choose its address; give the hop count or the proxies\' addresses' };
  const entries = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = entries.filter((entry) => !isAddressOrCidr(entry));
  if (entries.length === 0 || bad.length > 0) return { problem: `not an address or CIDR range: ${bad.join(', ') || '(empty)'}` };
  return entries;
}

function isAddressOrCidr(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  if (rest.length > 0 || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^[0-9]{1,3}$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128)) return false;
  // BlockList validates what isIP lets through (e.g. a v4-mapped v6 range).
  try {
    new BlockList().addSubnet(address, Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
    return true;
  } catch {
    return false;
  }
}

export interface HardeningEnv { NODE_ENV?: string; PUBLIC_URL?: string; ADMIN_PASSWORD?: string; TRUST_PROXY?: string; AUDIT_RETENTION_DAYS?: string }

/** The settings, or the problems (one line each, no secret value in them). */
export function hardeningConfig(e: HardeningEnv): { ok: true; config: HardeningConfig } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const trustProxy = parseTrustProxy(e.TRUST_PROXY);
  if (typeof trustProxy === 'object' && !Array.isArray(trustProxy)) problems.push(`TRUST_PROXY=${JSON.stringify(e.TRUST_PROXY)}: ${trustProxy.problem}`);
  const auditRetentionDays = e.AUDIT_RETENTION_DAYS === undefined ? 365 : Number(e.AUDIT_RETENTION_DAYS);
  if (auditRetentionDays < 1 || auditRetentionDays > 36_500) problems.push(`AUDIT_RETENTION_DAYS=${auditRetentionDays}: must be 1..36500`);
  // The first admin is created as 'admin' (server/auth/bootstrap.ts).
  const weak = e.ADMIN_PASSWORD === undefined ? undefined : passwordProblem(e.ADMIN_PASSWORD, 'admin');
  if (weak) problems.push(`ADMIN_PASSWORD=***: ${describePasswordProblem(weak)}`);
  if (e.NODE_ENV === 'production' && e.PUBLIC_URL === undefined) {
    problems.push('PUBLIC_URL: required in production (the address walls and people use; printed wall URLs and the CSP are built from it)');
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, config: { trustProxy: trustProxy as TrustProxy, auditRetentionDays } };
}

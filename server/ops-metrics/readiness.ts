/**
 * Readiness: whether this node can serve, for a load balancer (GET /api/ready). Each dependency
 * that is configured adds a check; the node is ready when every check passes. The store is
 * always checked; the MQTT broker when MQTT_URL is set; Redis when the cluster plugin registers
 * its check (`app.readiness.add('redis', …)`).
 */

export interface CheckResult {
  ok: boolean;
  /** A short reason when not ok, for the operator; never a URL, a host or a secret. */
  reason?: string;
}

export type ReadinessCheck = () => CheckResult | Promise<CheckResult>;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

/** A check that does not answer within this long counts as failed: a load balancer's probe must not hang. */
export const CHECK_TIMEOUT_MS = 2000;

export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();

  /** Adds (or replaces) the check named `name`. */
  add(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  names(): string[] {
    return [...this.checks.keys()];
  }

  async report(timeoutMs = CHECK_TIMEOUT_MS): Promise<ReadinessReport> {
    const entries = await Promise.all([...this.checks].map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const));
    const checks = Object.fromEntries(entries);
    return { ready: entries.every(([, r]) => r.ok), checks };
  }
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<CheckResult>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
    });
    const r = await Promise.race([Promise.resolve().then(check), timeout]);
    return r.ok ? { ok: true } : { ok: false, reason: r.reason ?? 'not ready' };
  } catch (err) {
    // The error's own message may carry a connection string: only its class is reported.
    return { ok: false, reason: `check failed (${err instanceof Error ? err.name : 'error'})` };
  } finally {
    clearTimeout(timer);
  }
}

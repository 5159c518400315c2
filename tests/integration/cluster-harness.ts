/**
 * Helpers for the cluster tests: the Redis they use (CI must have one), nodes as real processes
 * (tests/fixtures/cluster/node.ts) sharing one data directory, and a private redis-server for
 * the outage test (the machine's Redis is shared: it is never shut down by a test).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import type { RunningServer } from './server-harness.ts';
import { storeEnv } from './server-harness.ts';

/**
 * The Redis URL for the cluster tests, or undefined to skip them (with a visible notice).
 * Under CI=true an unset or unreachable Redis is a failure, never a skip (.ci/run sets it).
 */
export async function redisUrlForTests(): Promise<string | undefined> {
  const url = process.env.REDIS_TEST_URL ?? process.env.REDIS_URL ?? (process.env.CI === 'true' ? undefined : 'redis://127.0.0.1:6379');
  if (!url) throw new Error('CI=true but neither REDIS_TEST_URL nor REDIS_URL is set: the cluster tests must run in CI (see .ci/run)');
  if (await reachable(url)) return url;
  if (process.env.CI === 'true') throw new Error(`CI=true but Redis at ${url.replace(/\/\/[^@]*@/, '//***@')} is unreachable: the cluster tests must run in CI`);
  process.stdout.write(`\n\x1b[33m⚠  Redis at ${url} unreachable: the cluster tests are SKIPPED (start redis-server, or set REDIS_TEST_URL)\x1b[0m\n`);
  return undefined;
}

export async function reachable(url: string): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  r.on('error', () => {});
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** A key prefix of its own per test run, so runs (and people) sharing a Redis never meet. */
export const testPrefix = (name: string) => `cityops-test:${name}:${process.pid}:${Date.now().toString(36)}`;

export interface NodeProcess {
  url: string;
  /** The JT/T 808 gateway's port; null with JT808_PORT=off. */
  jt808Port: number | null;
  proc: ChildProcess;
  wallToken: string | null;
  /** Everything the node printed (its JSON log lines). */
  output: string[];
  /** Ends the process: SIGTERM closes it gracefully, SIGKILL plays a node that dies. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function startNode(env: Record<string, string>): Promise<NodeProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'tests/fixtures/cluster/node.ts'], {
    // On a PostgreSQL run the nodes share one schema, as a deployment's nodes share one database.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...(env.DATA_DIR ? storeEnv(env.DATA_DIR) : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  let buffer = '';
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    await exited;
  };
  return new Promise<NodeProcess>((resolve, reject) => {
    const timer = setTimeout(() => { void stop('SIGKILL'); reject(new Error(`node did not start in 60 s:\n${output.slice(-20).join('\n')}`)); }, 60_000);
    const onText = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        output.push(line);
        if (line.startsWith('{"clusterNode"')) {
          clearTimeout(timer);
          const { port, jt808Port, wallToken } = (JSON.parse(line) as { clusterNode: { port: number; jt808Port: number | null; wallToken: string | null } }).clusterNode;
          resolve({ url: `http://127.0.0.1:${port}`, jt808Port, proc, wallToken, output, stop });
        }
      }
    };
    proc.stdout!.on('data', onText);
    proc.stderr!.on('data', (c: Buffer) => output.push(c.toString('utf8')));
    proc.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`node exited (${code ?? signal}) before listening:\n${output.slice(-20).join('\n')}`)); });
  });
}

/** The subset of a RunningServer the feeds harness's WallWatcher reads. */
export const asServer = (url: string, wallToken: string): RunningServer => ({ url, firstStart: { adminUser: 'admin', adminPassword: undefined, wallToken } }) as unknown as RunningServer;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = addr && typeof addr === 'object' ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A private Redis without persistence, on `port`; stop() kills it (SIGKILL: Redis gone without warning). */
export async function startPrivateRedis(port: number): Promise<{ url: string; stop(): Promise<void> }> {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await reachable(url)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await reachable(url))) throw new Error(`redis-server on ${port} did not start`);
  return { url, async stop() { proc.kill('SIGKILL'); await exited; } };
}

/** Polls `probe` until it returns a value (not undefined) or `ms` pass. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

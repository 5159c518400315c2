/** Child processes of the live and render benchmarks: start, read their JSON lines, measure them from /proc, end them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CLK_TCK = 100;

export interface Child { proc: ChildProcess; next: () => Promise<string>; send: (line: string) => void; ask: <T>(line: string) => Promise<T> }

/** A TypeScript file of this folder (or an absolute path) run with tsx; its stdout read line by line. */
export function start(file: string, args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): Child {
  const path = file.startsWith('/') ? file : fileURLToPath(new URL(file, import.meta.url));
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Interface = createInterface({ input: proc.stdout! });
  const queue: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  lines.on('line', (l) => { const w = waiting.shift(); if (w) w(l); else queue.push(l); });
  let exited: Error | null = null;
  const failWaiters: ((e: Error) => void)[] = [];
  proc.on('exit', (code, signal) => { exited = new Error(`${file} exited (${code ?? signal})`); for (const f of failWaiters.splice(0)) f(exited); });
  const next = () => new Promise<string>((ok, fail) => {
    const l = queue.shift();
    if (l !== undefined) return ok(l);
    if (exited) return fail(exited);
    waiting.push(ok);
    failWaiters.push(fail);
  });
  const send = (line: string) => { proc.stdin!.write(`${line}\n`); };
  return { proc, next, send, ask: async <T>(line: string) => { send(line); return JSON.parse(await next()) as T; } };
}

export async function stop(child: Child): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  const gone = new Promise((ok) => child.proc.once('exit', ok));
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}

/** CPU seconds used so far and resident memory now, of one process. */
export function procStat(pid: number): { cpuS: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuS: (Number(fields[11]) + Number(fields[12])) / CLK_TCK, rssMiB: rssKiB / 1024 };
}

export const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

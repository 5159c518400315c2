/** Reading V8 CPU profiles (.cpuprofile: Chromium's CDP Profiler, node --cpu-prof) in the benchmarks. */

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }
export interface CpuProfile { nodes: ProfileNode[]; samples?: number[]; startTime: number; endTime: number }

/** Self time per function, the costliest `top` first, as printable lines ("  ms  name file:line"). Samples are evenly spaced. */
export function costliest(profile: CpuProfile, top: number): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const samples = profile.samples ?? [];
  const msPerSample = samples.length ? (profile.endTime - profile.startTime) / 1000 / samples.length : 0;
  const self = new Map<string, number>();
  for (const id of samples) {
    const f = byId.get(id)?.callFrame;
    const name = f ? `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}` : '?';
    self.set(name, (self.get(name) ?? 0) + msPerSample);
  }
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, ms]) => `${ms.toFixed(0).padStart(6)}  ${name}`);
}

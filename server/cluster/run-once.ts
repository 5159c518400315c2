/**
 * Work that must run on exactly one node of a cluster: the simulator, the alarm rules, the SLA
 * timers. Each module registers its job here when it starts; alone (no REDIS_URL) the job starts
 * at once, exactly as before. With Redis the cluster plugin, registered later, takes the jobs
 * over: it stops each one and starts it again only while this node holds the job's lease.
 */
export interface RunOnceJob {
  /** The lease's name: one holder cluster-wide per name. */
  name: string;
  start(): void;
  stop(): void;
}

/** Decides when a job runs (the cluster's lease keeper). */
export type JobController = (job: RunOnceJob) => void;

class JobRegistry {
  readonly jobs: RunOnceJob[] = [];
  controller: JobController | undefined;
}

// Keyed by the Fastify instance (several apps run in one test process).
const registries = new WeakMap<object, JobRegistry>();
const registryOf = (app: object): JobRegistry => {
  let r = registries.get(app);
  if (!r) registries.set(app, (r = new JobRegistry()));
  return r;
};

/** Registers a run-once job: started now when the node runs alone, handed to the cluster otherwise. */
export function runOnce(app: object, job: RunOnceJob): void {
  const r = registryOf(app);
  r.jobs.push(job);
  if (r.controller) r.controller(job);
  else job.start();
}

/**
 * The cluster takes over the jobs registered so far (stopped here, before the server listens)
 * and every job registered later. Returns the jobs, for status.
 */
export function takeOverJobs(app: object, controller: JobController): readonly RunOnceJob[] {
  const r = registryOf(app);
  r.controller = controller;
  for (const job of r.jobs) {
    job.stop();
    controller(job);
  }
  return r.jobs;
}

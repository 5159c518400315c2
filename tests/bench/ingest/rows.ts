/** One line of the `npm run bench:ingest` table. Each tests/bench/ingest/*.bench.ts default-exports a function returning these. */
export interface BenchRow {
  /** What was measured, in the user's words. */
  metric: string;
  value: number;
  unit: string;
  /** The issue's target, as text ("≥ 100,000"), when there is one. */
  target?: string;
  /** Whether the value meets the target (printed, never asserted). */
  met?: boolean;
  note?: string;
}

export type IngestBench = () => Promise<BenchRow[]>;

/** The duty console's case queue: filters and search over the ops store's cases, in urgency order. */
import { OPEN_STAGES, type CaseStage, type CaseSummary } from '../../shared/cases.ts';
import { compareByUrgency } from './sla-clock.ts';

export interface QueueFilters {
  street: string;
  source: string;
  /** A taxonomy item code, or a class code prefix ("02" matches "02.01.001"). */
  item: string;
  /** A stage, 'open' (every open stage) or '' (all held). */
  stage: CaseStage | 'open' | '';
  search: string;
}

export const NO_FILTERS: QueueFilters = { street: '', source: '', item: '', stage: 'open', search: '' };

export function filterQueue(cases: Iterable<CaseSummary>, f: QueueFilters, now: number): CaseSummary[] {
  const q = f.search.trim().toLowerCase();
  const out: CaseSummary[] = [];
  for (const c of cases) {
    if (f.stage === 'open' ? !OPEN_STAGES.includes(c.stage) : f.stage && c.stage !== f.stage) continue;
    if (f.street && c.location.streetCode !== f.street) continue;
    if (f.source && c.source !== f.source) continue;
    if (f.item && c.itemCode !== f.item && !c.itemCode.startsWith(`${f.item}.`)) continue;
    if (q && !`${c.code} ${c.title} ${c.location.address ?? ''}`.toLowerCase().includes(q)) continue;
    out.push(c);
  }
  return out.sort((a, b) => compareByUrgency(a, b, now));
}

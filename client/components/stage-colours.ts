import type { CaseStage } from '../../shared/cases.ts';

/** One colour per workflow stage, from "new" (blue) through "in the field" (amber) to "done" (green). */
export const STAGE_COLOURS: Record<CaseStage, string> = {
  reported: '#8fb0d2', registered: '#4ca8ff', dispatched: '#35e3ff', handling: '#ffb020', fedBack: '#e3dc5a',
  verified: '#b18cff', closed: '#2ee6a6', evaluated: '#1fa87a', voided: '#5f6b7a',
};

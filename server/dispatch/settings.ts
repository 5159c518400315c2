/** Dispatch settings (server/config.ts reads them from DISPATCH_* variables). */
export interface DispatchSettings {
  /** A dispatched unit this close to its case is on scene, metres. */
  arrivalRadiusM: number;
  /** A position older than this is stale: flagged and ranked after fresh ones, seconds. */
  stalePositionS: number;
  /** "dispatched N min without moving": after this long within notMovingM of where it was dispatched, seconds. */
  notMovingS: number;
  notMovingM: number;
  /** On scene this long raises a warning, seconds. */
  onSceneWarnS: number;
  /** After done, the unit is returning this long before it counts as available again, seconds. */
  returningS: number;
  /** Units the straight-line shortlist hands to the road ETA ranking. */
  shortlist: number;
  /** The arrival target (7123: face to face within 7 minutes), seconds. */
  targetS: number;
  /** The coverage layer is recomputed at most this often, seconds. */
  coverageEveryS: number;
}

export const DEFAULT_DISPATCH_SETTINGS: DispatchSettings = {
  arrivalRadiusM: 60,
  stalePositionS: 120,
  notMovingS: 240,
  notMovingM: 30,
  onSceneWarnS: 3600,
  returningS: 300,
  shortlist: 20,
  targetS: 420,
  coverageEveryS: 10,
};

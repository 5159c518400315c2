/**
 * A district pack that cannot be used. The message names the file and, where there is
 * one, the feature or item: `streets.geojson: feature #3 (code 370102004): polygon ring not closed`.
 */
export class DistrictPackError extends Error {
  /** The pack file at fault, relative to the pack directory (e.g. `streets.geojson`). */
  readonly file: string;
  /** The feature or item at fault as named in the message (e.g. `feature #3 (code 370102004)`), if any. */
  readonly feature: string | undefined;

  constructor(file: string, problem: string, feature?: string) {
    super(`${file}: ${feature ? `${feature}: ` : ''}${problem}`);
    this.name = 'DistrictPackError';
    this.file = file;
    this.feature = feature;
  }
}

/** Names a GeoJSON feature or JSON array item by position (0-based) and, if present, its id. */
export function itemLabel(kind: 'feature' | 'item', index: number, key?: string, value?: unknown): string {
  const id = key && (typeof value === 'string' || typeof value === 'number') && String(value) !== '' ? ` (${key} ${String(value)})` : '';
  return `${kind} #${index}${id}`;
}

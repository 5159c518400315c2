/**
 * Loads a district pack directory (pack.json + one file per part, format in data/README.md)
 * and validates it: a broken pack fails at start-up with a message naming the file and feature.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { DistrictGeometry, DistrictPack } from '../../shared/district.ts';
import { DistrictPackError } from './pack-error.ts';
import { OPTIONAL_PACK_PARTS } from './validate-ops-parts.ts';
import { MANIFEST_FILE, PACK_PARTS, validateManifest, validateParts, type PackPart } from './validate-pack.ts';

export { DistrictPackError } from './pack-error.ts';

async function readJson(dir: string, file: string, listedAs?: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(resolve(dir, file), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const where = listedAs ? ` (listed in ${MANIFEST_FILE} as files.${listedAs})` : '';
    throw new DistrictPackError(file, code === 'ENOENT' ? `file not found in ${dir}${where}` : `cannot read file: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new DistrictPackError(file, `invalid JSON: ${(err as Error).message}`);
  }
}

/** Reads and validates the pack in `dir`; throws DistrictPackError when anything is wrong. */
export async function loadDistrictPack(dir: string): Promise<DistrictPack> {
  const manifest = validateManifest(await readJson(dir, MANIFEST_FILE));
  const values = await Promise.all(PACK_PARTS.map((part) => readJson(dir, manifest.files[part], part)));
  const raw: Record<string, unknown> = Object.fromEntries(PACK_PARTS.map((part, i) => [part, values[i]]));
  for (const part of OPTIONAL_PACK_PARTS) {
    const file = manifest.files[part];
    if (file !== undefined) raw[part] = await readJson(dir, file, part);
  }
  return validateParts(manifest.meta, manifest.files, raw as Record<PackPart, unknown>);
}

/**
 * The public basemap (GET /api/basemap, no login): what a citizen's phone needs to place a pin —
 * boundary, street areas, roads, water, parks, landmarks. Communities and the unit grids are
 * left empty: they are the bureau's working geometry, and 0.6 MB a phone does not need.
 */
export function publicBasemap(pack: DistrictPack): DistrictGeometry {
  const { meta, boundary, streets, roads, water, parks, landmarks } = pack;
  return { meta, boundary, streets, communities: { type: 'FeatureCollection', features: [] }, grids: { type: 'FeatureCollection', features: [] }, roads, water, parks, landmarks };
}

/** The basemap subset of a pack (what GET /api/district serves). */
export function districtGeometry(pack: DistrictPack): DistrictGeometry {
  const { meta, boundary, streets, communities, grids, roads, water, parks, landmarks } = pack;
  return { meta, boundary, streets, communities, grids, roads, water, parks, landmarks };
}

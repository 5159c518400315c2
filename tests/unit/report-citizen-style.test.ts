import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDistrictPack, publicBasemap } from '../../server/district/load-pack.ts';
import { buildCitizenStyle, PHONE_TEXT_FONT } from '../../client/map/citizen-style.ts';
import { buildOfflineStyle } from '../../client/map/offline-style.ts';

const pack = await loadDistrictPack(path.resolve(import.meta.dirname, '../../data/lixia'));
const geometry = publicBasemap(pack);

describe('the citizen page basemap: the offline style in daylight colours', () => {
  const style = buildCitizenStyle(geometry, 'zh');
  const wall = buildOfflineStyle(geometry, 'zh', 1);

  it('stays offline: no glyphs, no sprite, only inline GeoJSON sources', () => {
    expect(style).not.toHaveProperty('glyphs');
    expect(style).not.toHaveProperty('sprite');
    for (const src of Object.values(style.sources)) {
      expect(src.type).toBe('geojson');
      expect(typeof (src as { data: unknown }).data).toBe('object');
    }
  });

  it('keeps every wall layer but the glows and the unit grid, in the same order', () => {
    const ids = style.layers.map((l) => l.id);
    expect(ids).toEqual(wall.layers.map((l) => l.id).filter((id) => !['boundary-glow-wide', 'boundary-glow', 'grid-line'].includes(id)));
  });

  it('paints a light ground with dark labels on white halos', () => {
    const paint = (id: string) => (style.layers.find((l) => l.id === id) as { paint: Record<string, unknown> }).paint;
    expect(paint('background')['background-color']).toBe('#dfe4ea');
    expect(paint('street-labels')['text-color']).toBe('#1f2937');
    expect(paint('street-labels')['text-halo-color']).toBe('#ffffff');
  });

  it('outlines every road (no class filter on the casing) and draws labels in the phone fonts', () => {
    const casing = style.layers.find((l) => l.id === 'road-casing')!;
    expect(casing).not.toHaveProperty('filter');
    expect(wall.layers.find((l) => l.id === 'road-casing')).toHaveProperty('filter');
    const symbols = style.layers.filter((l) => l.type === 'symbol') as { layout: Record<string, unknown> }[];
    expect(symbols.length).toBeGreaterThan(0);
    for (const l of symbols) expect(l.layout['text-font']).toEqual(PHONE_TEXT_FONT);
    expect(PHONE_TEXT_FONT.at(-1)).toBe('Noto Sans SC');
  });
});

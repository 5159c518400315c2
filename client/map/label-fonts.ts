import type { DistrictGeometry } from '../../shared/district.ts';

/** Labels are rasterised from the page's fonts: make sure the bundled CJK font is loaded first. */
export async function preloadLabelFonts(d: DistrictGeometry): Promise<void> {
  const sample = [...d.streets.features.map((f) => f.properties.name), ...d.landmarks.features.map((f) => f.properties.name), ...d.roads.features.slice(0, 200).map((f) => f.properties.name)].join('');
  const loads = ['400', '700'].map((w) => document.fonts.load(`${w} 16px "Noto Sans SC"`, sample || '历下区'));
  await Promise.race([Promise.allSettled(loads), new Promise((r) => setTimeout(r, 4000))]);
}

/** The district view of the wall: the district's extent fitted between the panels of the layout. */
import type { PaddingOptions } from 'maplibre-gl';
import type { DistrictGeometry } from '../../shared/district.ts';
import { sideInset, type WallLayout } from '../../shared/wall-layout.ts';

/** Space the header, top stats and legend take, in design pixels; the sides follow the layout's columns. */
const TOP = 200;
const BOTTOM = 96;

export function districtPadding(layout: WallLayout, s: number): Required<Pick<PaddingOptions, 'top' | 'bottom' | 'left' | 'right'>> {
  const side = sideInset(layout) * s;
  return { top: TOP * s, bottom: BOTTOM * s, left: side, right: side };
}

/** `d` in the basemap's CRS. */
export function districtBounds(d: DistrictGeometry): [[number, number], [number, number]] {
  const [w, s, e, n] = d.meta.bbox;
  return [[w, s], [e, n]];
}

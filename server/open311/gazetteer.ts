/**
 * Places a request that names an address but no point (address_string only, e.g. a 12345
 * operator typing what the caller said). The district pack is the only map we have offline,
 * so its names are the gazetteer: landmarks, communities (社区), roads and streets (街道).
 * The longest name found inside the text wins (so "文化东路社区" is the community, not the
 * road 文化东路). Each name is pinned to a point inside the district: a landmark's own
 * point, a road's middle vertex, a community's or street's grid centre. A text with none of
 * the names is not placed: the caller is told to send lat/long.
 */
import type { DistrictPack } from '../../shared/district.ts';
import type { LonLat } from '../../shared/geojson.ts';
import type { DistrictLocator } from '../district/locator.ts';

export interface GazetteerHit { name: string; kind: 'landmark' | 'community' | 'road' | 'street'; lon: number; lat: number }

type Pack = Pick<DistrictPack, 'landmarks' | 'communities' | 'roads' | 'streets' | 'grids'>;

const KIND_RANK = { landmark: 0, community: 1, road: 2, street: 3 } as const;

export class Gazetteer {
  private readonly entries: GazetteerHit[] = [];

  constructor(pack: Pack, locator: Pick<DistrictLocator, 'inDistrict'>) {
    const add = (name: string | undefined, kind: GazetteerHit['kind'], at: LonLat | undefined) => {
      if (!name || !at || !locator.inDistrict(at[0], at[1])) return;
      if (this.entries.some((e) => e.name === name)) return;
      this.entries.push({ name, kind, lon: at[0], lat: at[1] });
    };
    const gridCentres = pack.grids.features.map((g) => {
      const ring = g.geometry.coordinates[0] ?? [];
      const pts = ring.slice(0, -1);
      const c: LonLat = [pts.reduce((a, p) => a + p[0], 0) / Math.max(1, pts.length), pts.reduce((a, p) => a + p[1], 0) / Math.max(1, pts.length)];
      return { ...g.properties, c };
    });
    for (const f of pack.landmarks.features) add(f.properties.name, 'landmark', f.geometry.coordinates);
    for (const f of pack.communities.features) {
      const { code, name } = f.properties;
      add(name, 'community', gridCentres.find((g) => g.communityCode === code && locator.inDistrict(g.c[0], g.c[1]))?.c);
    }
    const roadsByName = new Map<string, LonLat[]>();
    for (const f of pack.roads.features) {
      const prev = roadsByName.get(f.properties.name);
      if (!prev || prev.length < f.geometry.coordinates.length) roadsByName.set(f.properties.name, f.geometry.coordinates);
    }
    for (const [name, line] of roadsByName) {
      // the middle vertex that lies inside the district
      const order = line.map((_, i) => i).sort((a, b) => Math.abs(a - line.length / 2) - Math.abs(b - line.length / 2));
      add(name, 'road', order.map((i) => line[i]!).find((p) => locator.inDistrict(p[0], p[1])));
    }
    for (const f of pack.streets.features) {
      const { code, name } = f.properties;
      const centre = gridCentres.find((g) => g.streetCode === code && locator.inDistrict(g.c[0], g.c[1]))?.c;
      add(name, 'street', centre);
    }
    this.entries.sort((a, b) => b.name.length - a.name.length || KIND_RANK[a.kind] - KIND_RANK[b.kind]);
  }

  /** The place the text names, or null. */
  locate(text: string): GazetteerHit | null {
    const t = text.normalize('NFKC').replace(/\s+/g, '');
    return this.entries.find((e) => t.includes(e.name)) ?? null;
  }

  get size(): number { return this.entries.length; }
}

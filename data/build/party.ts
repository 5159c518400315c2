/**
 * Party building (党建) for the embedded pack: a grid party branch (网格党支部) per community
 * covering its unit grids, party members drawn from the staff (so the wall knows who is on
 * duty from their live entities), and two pioneer posts (先锋驿站) per street beside named
 * roads. Invented data, like the rest of the pack's people; its own random stream, so the other
 * files stay byte-identical.
 */
import type { StaffMember } from '../../shared/district.ts';
import type { LonLat } from '../../shared/geojson.ts';
import type { PartyBuilding, PartyMember, PioneerPost } from '../../shared/party.ts';
import type { GridCell, GridIndex } from './areas.ts';
import { personName } from './facilities.ts';
import type { RoadNet } from './roads.ts';
import { Rng, roundLonLat, toLonLat, toXY } from './util.ts';

const SEED = 0x7a1e5;
/** About one in five of the bureau's field staff are party members. */
const MEMBER_SHARE = 0.2;
const POSTS_PER_STREET = 2;
const SERVICES = ['饮水', '热饭', '手机充电', '休息', '如厕', '应急药箱', '雨具借用', '便民咨询', '工具维修', '政策宣讲'];
const HOURS = ['07:00-21:00', '06:30-20:30', '08:00-20:00', '00:00-23:59'];

export interface PartyInputs {
  streets: readonly { code: string; name: string }[];
  communities: readonly { code: string; name: string; streetCode: string }[];
  grids: readonly GridCell[];
  gridIndex: GridIndex;
  staff: readonly StaffMember[];
  net: RoadNet;
}

export function buildParty(input: PartyInputs): PartyBuilding {
  const rng = new Rng(SEED);
  const gridsOf = new Map<string, string[]>();
  for (const g of input.grids) {
    const list = gridsOf.get(g.communityCode);
    if (list) list.push(g.id);
    else gridsOf.set(g.communityCode, [g.id]);
  }
  const branches = input.communities.map((c) => ({
    id: `pb-${c.code}`, name: `${c.name}网格党支部`, streetCode: c.streetCode, communityCode: c.code,
    gridIds: [...(gridsOf.get(c.code) ?? [])].sort(), secretary: personName(rng),
  }));
  const branchIds = new Set(branches.map((b) => b.id));

  const members: PartyMember[] = [];
  for (const s of input.staff) {
    if (!rng.chance(MEMBER_SHARE)) continue;
    const branchId = `pb-${s.gridId.slice(0, 12)}`;
    if (!branchIds.has(branchId)) continue;
    members.push({ id: `pm-${String(members.length + 1).padStart(4, '0')}`, name: s.name, branchId, streetCode: s.streetCode, staffId: s.id });
  }

  const communityName = new Map(input.communities.map((c) => [c.code, c.name]));
  const streetName = new Map(input.streets.map((s) => [s.code, s.name]));
  // Nodes of named roads, by the street their grid lies in.
  const candidates = new Map<string, { at: LonLat; road: string; grid: GridCell }[]>();
  const seen = new Set<number>();
  for (const road of input.net.roads) {
    if (!road.name) continue;
    for (const n of road.nodes) {
      if (seen.has(n)) continue;
      seen.add(n);
      const at = input.net.nodes[n]!;
      const grid = input.gridIndex.at(at[0], at[1]);
      if (!grid) continue;
      const list = candidates.get(grid.streetCode);
      if (list) list.push({ at, road: road.name, grid });
      else candidates.set(grid.streetCode, [{ at, road: road.name, grid }]);
    }
  }
  const posts: PioneerPost[] = [];
  for (const street of input.streets) {
    const list = candidates.get(street.code) ?? [];
    const used = new Set<string>();
    for (let k = 0, tries = 0; k < POSTS_PER_STREET && tries < 50 && list.length > 0; tries++) {
      const c = rng.pick(list);
      if (used.has(c.road)) continue;
      used.add(c.road);
      // Beside the road, not on it.
      const xy = toXY(c.at);
      const at = roundLonLat(toLonLat([xy[0] + rng.range(-25, 25), xy[1] + rng.range(-25, 25)]));
      const community = communityName.get(c.grid.communityCode) ?? '';
      const services = SERVICES.filter(() => rng.chance(0.55));
      posts.push({
        id: `pp-${String(posts.length + 1).padStart(3, '0')}`,
        name: `${c.road}先锋驿站`,
        streetCode: street.code,
        lon: at[0], lat: at[1],
        address: `${streetName.get(street.code) ?? ''}${community}·${c.road}旁`,
        services: services.length >= 3 ? services : SERVICES.slice(0, 4),
        hours: rng.pick(HOURS),
      });
      k++;
    }
  }
  return { branches, members, posts };
}

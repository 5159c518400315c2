/**
 * Party building: the panel's figures from a hand-made party part and a hand-made duty list,
 * the pack validation naming the file and item at fault, and the embedded Lixia pack's part.
 */
import { describe, expect, it } from 'vitest';
import type { PartyBuilding } from '../../shared/party.ts';
import { loadDistrictPack } from '../../server/district/load-pack.ts';
import { validateParty, type PartyIndex } from '../../server/district/validate-party.ts';
import { partyView } from '../../server/party/party-view.ts';

const A = '370102001';
const B = '370102002';
const PARTY: PartyBuilding = {
  branches: [
    { id: 'pb-a1', name: '甲社区网格党支部', streetCode: A, communityCode: '370102001001', gridIds: ['g1', 'g2'], secretary: '王一' },
    { id: 'pb-b1', name: '乙社区网格党支部', streetCode: B, communityCode: '370102002001', gridIds: ['g3'], secretary: '李二' },
  ],
  members: [
    { id: 'pm-1', name: '张三', branchId: 'pb-a1', streetCode: A, staffId: 's1' },
    { id: 'pm-2', name: '赵四', branchId: 'pb-a1', streetCode: A, staffId: 's2' },
    { id: 'pm-3', name: '钱五', branchId: 'pb-b1', streetCode: B, staffId: 's3' },
  ],
  posts: [{ id: 'pp-1', name: '经十路先锋驿站', streetCode: B, lon: 117.08, lat: 36.65, address: '乙街道·经十路旁', services: ['饮水', '休息'], hours: '07:00-21:00' }],
};
const STREETS = [{ code: A, name: '甲街道' }, { code: B, name: '乙街道' }];

describe('party panel figures', () => {
  it('counts branches, members and members on duty (s1 and s3 on shift) by street and by branch', () => {
    const v = partyView({ party: PARTY, streets: STREETS, now: 5, onDuty: (id) => id === 's1' || id === 's3' });
    expect(v.configured).toBe(true);
    expect(v.totals).toEqual({ branches: 2, members: 3, onDuty: 2, posts: 1 });
    expect(v.streets).toEqual([
      { code: A, name: '甲街道', branches: 1, members: 2, onDuty: 1, posts: 0 },
      { code: B, name: '乙街道', branches: 1, members: 1, onDuty: 1, posts: 1 },
    ]);
    expect(v.branches.map((b) => [b.id, b.grids, b.members, b.onDuty])).toEqual([['pb-a1', 2, 2, 1], ['pb-b1', 1, 1, 1]]);
    expect(v.onDuty.map((m) => m.name)).toEqual(['张三', '钱五']);
  });

  it('one street only; no party part at all → configured false and empty', () => {
    const v = partyView({ party: PARTY, streets: STREETS, now: 5, onDuty: () => true, street: B });
    expect(v.totals).toEqual({ branches: 1, members: 1, onDuty: 1, posts: 1 });
    expect(v.streets.map((s) => s.code)).toEqual([B]);
    const none = partyView({ party: undefined, streets: STREETS, now: 5, onDuty: () => true });
    expect(none.configured).toBe(false);
    expect(none.totals).toEqual({ branches: 0, members: 0, onDuty: 0, posts: 0 });
    expect(none.streets.every((s) => s.members === 0)).toBe(true);
  });
});

describe('party.json validation', () => {
  const ix: PartyIndex = {
    bbox: [117.0, 36.59, 117.18, 36.71],
    streetCodes: new Set([A, B]),
    communityStreet: new Map([['370102001001', A], ['370102002001', B]]),
    gridCommunity: new Map([['g1', '370102001001'], ['g2', '370102001001'], ['g3', '370102002001']]),
    staffStreet: new Map([['s1', A], ['s2', A], ['s3', B]]),
  };
  const broken = (change: (p: PartyBuilding) => void): string => {
    const p = structuredClone(PARTY);
    change(p);
    try {
      validateParty(p, 'party.json', ix);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('accepted');
  };

  it('accepts the hand-made part', () => {
    expect(validateParty(structuredClone(PARTY), 'party.json', ix).members).toHaveLength(3);
  });

  it('names the file and the item at fault', () => {
    expect(broken((p) => { p.members[1]!.staffId = 'nobody'; })).toBe('party.json: members item #1 (id pm-2): staffId "nobody" is not a staff member of staff.json');
    expect(broken((p) => { p.branches[0]!.gridIds.push('g3'); })).toMatch(/^party\.json: branches item #0 \(id pb-a1\): grid g3 is in community 370102002001/);
    expect(broken((p) => { p.members[2]!.branchId = 'pb-x'; })).toMatch(/members item #2 \(id pm-3\): unknown branchId "pb-x"/);
    expect(broken((p) => { p.members[1]!.staffId = 's1'; })).toMatch(/staff s1 is already member pm-1/);
    expect(broken((p) => { p.posts[0]!.lat = 39.9; })).toMatch(/posts item #0 \(id pp-1\): lon\/lat \[117\.08, 39\.9\] is outside the pack bbox/);
    expect(broken((p) => { p.posts[0]!.hours = 'all day'; })).toMatch(/hours "all day" must be "HH:MM-HH:MM"/);
    expect(broken((p) => { p.posts[0]!.services = []; })).toMatch(/services must be a non-empty array/);
    expect(broken((p) => { p.branches[1]!.streetCode = A; })).toMatch(/streetCode "370102001" is not the street of community 370102002001/);
  });
});

describe('the embedded Lixia pack', () => {
  it('has a grid party branch per community, members among its staff in every street, and pioneer posts in all 13 streets', async () => {
    const pack = await loadDistrictPack('data/lixia');
    const party = pack.party!;
    expect(party.branches).toHaveLength(pack.communities.features.length);
    const staffIds = new Set(pack.staff.map((s) => s.id));
    expect(party.members.every((m) => staffIds.has(m.staffId))).toBe(true);
    expect(new Set(party.members.map((m) => m.streetCode)).size).toBe(13);
    expect(new Set(party.posts.map((p) => p.streetCode)).size).toBe(13);
  });
});

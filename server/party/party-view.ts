/**
 * The party-building panel's figures from the pack's party part and the live staff: a member
 * is on duty when their staff entity is (on shift, or calling SOS — still at work). Pure, so it
 * is tested with a hand-made pack and a hand-made duty list.
 */
import type { PartyBuilding } from '../../shared/party.ts';
import type { PartyResponse } from '../../shared/schemas/party.ts';

export interface PartyViewInput {
  party: PartyBuilding | undefined;
  streets: readonly { code: string; name: string }[];
  /** Whether the staff entity is on duty now. */
  onDuty: (staffId: string) => boolean;
  now: number;
  /** Only this street. */
  street?: string;
}

export function partyView(input: PartyViewInput): PartyResponse {
  const p = input.party ?? { branches: [], members: [], posts: [] };
  const keep = (code: string) => input.street === undefined || code === input.street;
  const branches = p.branches.filter((b) => keep(b.streetCode));
  const members = p.members.filter((m) => keep(m.streetCode));
  const posts = p.posts.filter((x) => keep(x.streetCode));
  const onDutyMembers = members.filter((m) => input.onDuty(m.staffId));
  const count = <T>(xs: readonly T[], key: (x: T) => string) => {
    const by = new Map<string, number>();
    for (const x of xs) by.set(key(x), (by.get(key(x)) ?? 0) + 1);
    return by;
  };
  const branchesBy = count(branches, (b) => b.streetCode);
  const membersBy = count(members, (m) => m.streetCode);
  const dutyBy = count(onDutyMembers, (m) => m.streetCode);
  const postsBy = count(posts, (x) => x.streetCode);
  const membersOfBranch = count(members, (m) => m.branchId);
  const dutyOfBranch = count(onDutyMembers, (m) => m.branchId);
  const streetOrder = new Map(input.streets.map((s, i) => [s.code, i]));
  return {
    configured: input.party !== undefined,
    generatedTs: input.now,
    totals: { branches: branches.length, members: members.length, onDuty: onDutyMembers.length, posts: posts.length },
    streets: input.streets.filter((s) => keep(s.code)).map((s) => ({
      code: s.code, name: s.name,
      branches: branchesBy.get(s.code) ?? 0, members: membersBy.get(s.code) ?? 0, onDuty: dutyBy.get(s.code) ?? 0, posts: postsBy.get(s.code) ?? 0,
    })),
    branches: branches.map((b) => ({
      id: b.id, name: b.name, streetCode: b.streetCode, communityCode: b.communityCode, secretary: b.secretary,
      grids: b.gridIds.length, members: membersOfBranch.get(b.id) ?? 0, onDuty: dutyOfBranch.get(b.id) ?? 0,
    })),
    onDuty: onDutyMembers
      .map((m) => ({ id: m.id, name: m.name, streetCode: m.streetCode, branchId: m.branchId, staffId: m.staffId }))
      .sort((a, b) => (streetOrder.get(a.streetCode) ?? 0) - (streetOrder.get(b.streetCode) ?? 0) || a.name.localeCompare(b.name, 'zh')),
    posts: posts.map((x) => ({ ...x, services: [...x.services] })),
  };
}

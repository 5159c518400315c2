/**
 * Party building on one screen (党建+业务 一屏通办): the grid party branches, the party
 * members among the bureau's staff (on duty or not follows their live staff entity), and the
 * pioneer posts where field workers and residents stop. District pack data (party.json).
 */

/** 网格党支部 — a grid party branch: one per community, covering that community's unit grids. */
export interface PartyBranch {
  id: string;
  name: string;
  streetCode: string;
  communityCode: string;
  /** The unit grids (grids.geojson ids) the branch covers. */
  gridIds: string[];
  /** 支部书记 */
  secretary: string;
}

/** 党员 — a party member who is one of the bureau's staff (a live staff entity). */
export interface PartyMember {
  id: string;
  name: string;
  branchId: string;
  streetCode: string;
  /** The staff member (staff.json id, a live entity id): on duty when that entity is. */
  staffId: string;
}

/** 先锋驿站 — a pioneer post: a rest and service point for field workers and residents. */
export interface PioneerPost {
  id: string;
  name: string;
  streetCode: string;
  lon: number;
  lat: number;
  address: string;
  /** 饮水, 热饭, 充电, 休息, 如厕, 应急药箱 … */
  services: string[];
  /** Opening hours "HH:MM-HH:MM", local time. */
  hours: string;
}

export interface PartyBuilding {
  branches: PartyBranch[];
  members: PartyMember[];
  posts: PioneerPost[];
}

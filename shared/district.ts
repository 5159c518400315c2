/**
 * The district pack: everything the product knows about one district's geography,
 * facilities and fleet. The embedded default is data/lixia/ (approximate geometry);
 * a deployment replaces it with its own (DISTRICT_PACK=path). Format: data/README.md.
 */
import type { FeatureCollection, LineStringGeometry, LonLat, MultiPolygonGeometry, PointGeometry, PolygonGeometry } from './geojson.ts';
import type { BinType, StaffRole, ToiletClass, VehicleType } from './entities.ts';
import type { CaseTaxonomy, Organisation } from './cases.ts';
import type { WorkCalendar } from './sla.ts';
import type { PartyBuilding } from './party.ts';

export interface DistrictMeta {
  id: string;
  /** 历下区 */
  name: string;
  nameEn: string;
  city: string;
  cityEn: string;
  /** 6-digit administrative code, e.g. 370102 */
  adcode: string;
  center: LonLat;
  /** [west, south, east, north] */
  bbox: [number, number, number, number];
  /** IANA time zone of the district: clocks, shifts, opening and permit hours are in this local time. */
  timezone: string;
  /** The CRS of every coordinate in the pack. Only WGS-84 is accepted today. */
  crs: 'WGS84';
  /** True when geometry is an approximation (the embedded default): the UI says so. */
  approximate: boolean;
  /** Where the data came from, shown in the UI's attribution. */
  attribution: string;
}

/** 街道 — street office area */
export interface StreetProps { code: string; name: string; nameEn: string }
/** 社区 — community */
export interface CommunityProps { code: string; name: string; streetCode: string }
/** 万米单元网格 — unit grid; id nests street → community → grid */
export interface GridProps { id: string; streetCode: string; communityCode: string }

export const ROAD_CLASSES = ['trunk', 'primary', 'secondary', 'tertiary', 'residential'] as const;
export type RoadClass = (typeof ROAD_CLASSES)[number];
export interface RoadProps {
  id: string; name: string; class: RoadClass;
  /** One-way road: each of its graph edges may be travelled only from its first node to its second. Absent = two-way. */
  oneway?: boolean;
}

/** Nodes and edges of the road network, for routing and road ETAs. */
export interface RoadGraph {
  /** [lon, lat] per node; a node index is its position in this array. */
  nodes: LonLat[];
  /** [fromNode, toNode, lengthM, roadId]; two-way unless the road is one-way (RoadProps.oneway), then from → to only. */
  edges: [number, number, number, string][];
}

export interface AreaProps { name: string; nameEn?: string }
export interface LandmarkProps { name: string; nameEn?: string; category: string }

export interface ToiletSite {
  id: string; name: string; lon: number; lat: number;
  streetCode: string; gridId: string; toiletClass: ToiletClass; stalls: number;
  /** opening hours "HH:MM-HH:MM", local time */
  hours: string;
}

export interface BinSite {
  id: string; lon: number; lat: number; binType: BinType;
  streetCode: string; gridId: string; roadId?: string;
  /** litres */
  capacityL: number;
}

export interface StaffMember {
  id: string; name: string; role: StaffRole;
  streetCode: string; gridId: string; roadId?: string;
  /** "HH:MM-HH:MM", local time; may wrap midnight */
  shift: string;
}

export interface FleetVehicle {
  id: string; plate: string; vehicleType: VehicleType;
  streetCode: string; gridId: string;
  /** Roads this vehicle works (road ids); its daily plan. */
  roadIds: string[];
  depot: LonLat;
  /** Working speed limit, km/h (sweeper ≈ 8, washer/sprinkler ≈ 15). */
  workSpeedLimitKph: number;
}

export interface MuckPermit {
  id: string;
  site: { name: string; lon: number; lat: number };
  disposal: { name: string; lon: number; lat: number };
  /** The permitted route corridor: road ids in order, and the line itself. */
  routeRoadIds: string[];
  route: LonLat[];
  /** Permitted hours, "HH:MM-HH:MM" local time; usually at night, may wrap midnight. */
  hours: string;
  /** Allowed distance from the route before it counts as off-route, metres. */
  corridorM: number;
}

export interface FleetMuckTruck {
  id: string; plate: string; company: string;
  streetCode: string; gridId: string;
  permit: MuckPermit;
}

/** 禁区 — a zone muck trucks may not enter (scenic areas, school zones, …). */
export interface RestrictedZoneProps { id: string; name: string; nameEn?: string; kind: 'scenic' | 'school' | 'hospital' | 'residential' | 'other' }

export interface DistrictPack {
  meta: DistrictMeta;
  boundary: FeatureCollection<PolygonGeometry | MultiPolygonGeometry, AreaProps>;
  streets: FeatureCollection<PolygonGeometry | MultiPolygonGeometry, StreetProps>;
  communities: FeatureCollection<PolygonGeometry | MultiPolygonGeometry, CommunityProps>;
  grids: FeatureCollection<PolygonGeometry, GridProps>;
  roads: FeatureCollection<LineStringGeometry, RoadProps>;
  roadGraph: RoadGraph;
  water: FeatureCollection<PolygonGeometry | MultiPolygonGeometry, AreaProps>;
  parks: FeatureCollection<PolygonGeometry | MultiPolygonGeometry, AreaProps>;
  landmarks: FeatureCollection<PointGeometry, LandmarkProps>;
  toilets: ToiletSite[];
  bins: BinSite[];
  staff: StaffMember[];
  vehicles: FleetVehicle[];
  muckTrucks: FleetMuckTruck[];
  /** Case taxonomy (部件/事件), organisations, work calendar and restricted zones: issue 5 adds them to the pack. */
  taxonomy?: CaseTaxonomy;
  organisations?: Organisation[];
  calendar?: WorkCalendar;
  restrictedZones?: FeatureCollection<PolygonGeometry | MultiPolygonGeometry, RestrictedZoneProps>;
  /** 党建: grid party branches, party members among the staff, pioneer posts (shared/party.ts). */
  party?: PartyBuilding;
}

export type OptionalPackPart = 'taxonomy' | 'organisations' | 'calendar' | 'restrictedZones' | 'party';
export type RequiredPackPart = Exclude<keyof DistrictPack, 'meta' | OptionalPackPart>;

/**
 * The pack on disk: a directory with `pack.json` (this manifest) and one file per part.
 * `files` maps each part of `DistrictPack` (except meta) to a path relative to the directory.
 */
export interface DistrictPackManifest {
  format: 'cityops-district-pack';
  formatVersion: 1;
  meta: DistrictMeta;
  files: Record<RequiredPackPart, string> & Partial<Record<OptionalPackPart, string>>;
}

/** What the client needs to draw the basemap (GET /api/district). Fleet and sites come via the live stream. */
export type DistrictGeometry = Pick<DistrictPack, 'meta' | 'boundary' | 'streets' | 'communities' | 'grids' | 'roads' | 'water' | 'parks' | 'landmarks'>;

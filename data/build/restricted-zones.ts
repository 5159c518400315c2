/**
 * 禁区: zones muck trucks may not enter. The scenic zones are the pack's own scenic parks
 * (大明湖, 趵突泉 with 泉城广场, 千佛山) so the map and the rule agree; school zones are
 * ≈300 m squares around the school gates (approximate, like the rest of the pack), placed
 * clear of every muck-truck permit route: a permit never routes a truck through a zone it
 * may not enter (data/build-lixia.ts checks it).
 */
import type { Feature, FeatureCollection, LonLat, MultiPolygonGeometry, PolygonGeometry } from '../../shared/geojson.ts';
import type { RestrictedZoneProps } from '../../shared/district.ts';
import { PARKS } from './geography.ts';
import { closeRing, roundLonLat, toLonLat, toXY } from './util.ts';

type Zone = Feature<PolygonGeometry | MultiPolygonGeometry, RestrictedZoneProps>;

const parkRing = (name: string): LonLat[] => {
  const park = PARKS.find((p) => p.name === name);
  if (!park) throw new Error(`restricted zones: no park ${name} in geography.ts`);
  return closeRing(park.ring.map((p) => roundLonLat(p)));
};

/** A square of `sideM` metres centred on a point. */
function square(at: LonLat, sideM: number): LonLat[] {
  const [x, y] = toXY(at);
  const h = sideM / 2;
  return closeRing(([[x - h, y - h], [x + h, y - h], [x + h, y + h], [x - h, y + h]] as [number, number][]).map((p) => roundLonLat(toLonLat(p))));
}

const SCHOOLS: { id: string; name: string; nameEn: string; at: LonLat }[] = [
  { id: 'school-sdu', name: '山东大学中心校区周边', nameEn: 'Shandong University Central Campus', at: [117.0565, 36.6745] },
  { id: 'school-jnyz', name: '济南第一中学周边', nameEn: 'Jinan No. 1 High School', at: [117.0395, 36.6705] },
  { id: 'school-yanshan', name: '燕山学校周边', nameEn: 'Yanshan School', at: [117.0835, 36.6495] },
  { id: 'school-wendong', name: '文东小学周边', nameEn: 'Wendong Primary School', at: [117.0655, 36.664] },
];

export function buildRestrictedZones(): FeatureCollection<PolygonGeometry | MultiPolygonGeometry, RestrictedZoneProps> {
  const scenic: Zone[] = [
    { type: 'Feature', geometry: { type: 'Polygon', coordinates: [parkRing('大明湖风景区')] }, properties: { id: 'scenic-daminghu', name: '大明湖风景区', nameEn: 'Daming Lake Scenic Area', kind: 'scenic' } },
    { type: 'Feature', geometry: { type: 'MultiPolygon', coordinates: [[parkRing('趵突泉公园')], [parkRing('泉城广场')]] }, properties: { id: 'scenic-baotuquan', name: '趵突泉·泉城广场', nameEn: 'Baotu Spring and Quancheng Square', kind: 'scenic' } },
    { type: 'Feature', geometry: { type: 'Polygon', coordinates: [parkRing('千佛山风景区')] }, properties: { id: 'scenic-qianfoshan', name: '千佛山风景区', nameEn: 'Qianfo Mountain Scenic Area', kind: 'scenic' } },
  ];
  const schools: Zone[] = SCHOOLS.map((s) => ({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [square(s.at, 300)] }, properties: { id: s.id, name: s.name, nameEn: s.nameEn, kind: 'school' } }));
  return { type: 'FeatureCollection', features: [...scenic, ...schools] };
}

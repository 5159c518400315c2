/**
 * Cases and alarms on the replay map at the replayed instant: a marker per case open then
 * (amber until dispatched, cyan while handled, green once fed back; emergencies larger) and
 * a red ring per alarm active then. Sources added once; afterwards only setData.
 */
import type { GeoJSONSource, GeoJSONSourceSpecification } from 'maplibre-gl';
import type { CaseStage } from '../../shared/cases.ts';
import type { ReplayIncidents } from '../../shared/replay-stream.ts';
import type { GLMap } from '../map/engine.ts';
import { ALARM_RED, ALERT_AMBER } from '../map/palette.ts';
import { activeAlarmsAt, openCasesAt } from './incidents-at.ts';

const SRC_CASES = 'replay-cases';
const SRC_ALARMS = 'replay-alarms';
export const REPLAY_CASE_LAYER = 'replay-case-dot';

const STAGE_COLOUR: Partial<Record<CaseStage, string>> = {
  reported: ALERT_AMBER, registered: ALERT_AMBER, dispatched: '#35e3ff', handling: '#35e3ff', fedBack: '#2ee6a6', verified: '#2ee6a6',
};

export interface IncidentLayer {
  /** Redraws what was open / active at `t`; cheap to call often (it only redraws when the set changed). */
  update(t: number): void;
  /** Case ids drawn now (tests, the screen's list). */
  shownCases(): number[];
}

export function addIncidentLayer(map: GLMap, incidents: () => ReplayIncidents, s: number): IncidentLayer {
  const empty = { type: 'FeatureCollection', features: [] } as GeoJSONSourceSpecification['data'];
  map.addSource(SRC_CASES, { type: 'geojson', data: empty });
  map.addSource(SRC_ALARMS, { type: 'geojson', data: empty });
  map.addLayer({
    id: 'replay-alarm-ring', type: 'circle', source: SRC_ALARMS,
    paint: { 'circle-radius': 11 * s, 'circle-color': ALARM_RED, 'circle-opacity': 0.18, 'circle-stroke-color': ALARM_RED, 'circle-stroke-width': 2 * s },
  });
  map.addLayer({
    id: REPLAY_CASE_LAYER, type: 'circle', source: SRC_CASES,
    paint: {
      'circle-radius': ['case', ['==', ['get', 'em'], 1], 9 * s, 6 * s],
      'circle-color': ['get', 'col'],
      'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5 * s,
    },
  });
  let lastKey = '';
  let shown: number[] = [];
  return {
    update(t) {
      const { cases, alarms } = incidents();
      const open = openCasesAt(cases, t);
      const active = activeAlarmsAt(alarms, t).filter((a) => a.lon !== null && a.lat !== null);
      const key = `${open.map((o) => `${o.c.id}:${o.stage}`).join(',')}|${active.map((a) => a.id).join(',')}`;
      if (key === lastKey) return;
      lastKey = key;
      shown = open.map((o) => o.c.id);
      (map.getSource(SRC_CASES) as GeoJSONSource | undefined)?.setData({
        type: 'FeatureCollection',
        features: open.map(({ c, stage }) => ({
          type: 'Feature', id: c.id, geometry: { type: 'Point', coordinates: [c.lon, c.lat] },
          properties: { id: c.id, col: STAGE_COLOUR[stage] ?? ALERT_AMBER, em: c.emergency ? 1 : 0 },
        })),
      });
      (map.getSource(SRC_ALARMS) as GeoJSONSource | undefined)?.setData({
        type: 'FeatureCollection',
        features: active.map((a) => ({ type: 'Feature', id: a.id, geometry: { type: 'Point', coordinates: [a.lon!, a.lat!] }, properties: { id: a.id } })),
      });
    },
    shownCases: () => shown,
  };
}

import { describe, expect, it } from 'vitest';
import { IdleTour, tourCodesFrom, tourStops, type TourStop } from '../../client/map/idle-tour.ts';
import type { DistrictGeometry } from '../../shared/district.ts';

const stop = (code: string): TourStop => ({ code, name: code, bounds: [[0, 0], [1, 1]] });

function harness(codes: string[], blocked = () => false) {
  let now = 0;
  const flown: string[] = [];
  const shown: (string | null)[] = [];
  const tour = new IdleTour({
    stops: codes.map(stop), idleMs: 60_000, stopMs: 20_000, now: () => now,
    fly: (s) => flown.push(s.code), onStop: (s) => shown.push(s?.code ?? null), blocked,
  });
  const advance = (ms: number) => {
    for (let t = 0; t < ms; t += 1000) {
      now += 1000;
      tour.tick();
    }
  };
  return { tour, flown, shown, advance };
}

describe('idle tour', () => {
  it('starts after the idle time, holds each street, and goes round the playlist', () => {
    const h = harness(['A', 'B', 'C']);
    h.advance(59_000);
    expect(h.flown).toEqual([]);
    h.advance(1000);
    expect(h.flown).toEqual(['A']);
    expect(h.tour.current?.code).toBe('A');
    h.advance(19_000);
    expect(h.flown).toEqual(['A']);
    h.advance(1000);
    expect(h.flown).toEqual(['A', 'B']);
    h.advance(40_000);
    expect(h.flown).toEqual(['A', 'B', 'C', 'A']);
  });

  it('any input ends it at once; idle again, it goes on with the next street', () => {
    const h = harness(['A', 'B']);
    h.advance(60_000);
    h.tour.input();
    expect(h.tour.current).toBeNull();
    expect(h.shown).toEqual(['A', null]);
    h.advance(59_000);
    expect(h.flown).toEqual(['A']);
    h.advance(1000);
    expect(h.flown).toEqual(['A', 'B']);
  });

  it('waits while an alarm flight has the map', () => {
    let busy = false;
    const h = harness(['A', 'B'], () => busy);
    h.advance(60_000);
    busy = true;
    h.advance(60_000);
    expect(h.flown).toEqual(['A']);
    busy = false;
    h.advance(19_000);
    expect(h.flown).toEqual(['A']);
    h.advance(1000);
    expect(h.flown).toEqual(['A', 'B']);
  });

  it('does nothing with an empty playlist', () => {
    const h = harness([]);
    h.advance(200_000);
    expect(h.flown).toEqual([]);
  });
});

describe('tour playlist', () => {
  const d = {
    streets: {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: { code: '370102001', name: '解放路街道', nameEn: 'Jiefanglu' }, geometry: { type: 'Polygon', coordinates: [[[117.01, 36.65], [117.03, 36.65], [117.03, 36.67], [117.01, 36.65]]] } },
        { type: 'Feature', properties: { code: '370102002', name: '千佛山街道', nameEn: 'Qianfoshan' }, geometry: { type: 'MultiPolygon', coordinates: [[[[117.0, 36.6], [117.02, 36.61], [117.01, 36.63], [117.0, 36.6]]], [[[117.05, 36.62], [117.06, 36.62], [117.06, 36.64], [117.05, 36.62]]]] } },
      ],
    },
  } as unknown as DistrictGeometry;

  it('each street with the extent of its area, unknown codes apart, in the order given', () => {
    const { stops, unknown } = tourStops(['370102002', '370102099', '370102001'], d);
    expect(unknown).toEqual(['370102099']);
    expect(stops.map((s) => s.name)).toEqual(['千佛山街道', '解放路街道']);
    expect(stops[0]!.bounds).toEqual([[117.0, 36.6], [117.06, 36.64]]);
    expect(stops[1]!.bounds).toEqual([[117.01, 36.65], [117.03, 36.67]]);
  });

  it('?tour= overrides the configured playlist; empty or off turns it off', () => {
    expect(tourCodesFrom(null, ['370102001'])).toEqual(['370102001']);
    expect(tourCodesFrom('370102003, 370102004', ['370102001'])).toEqual(['370102003', '370102004']);
    expect(tourCodesFrom('', ['370102001'])).toEqual([]);
    expect(tourCodesFrom('off', ['370102001'])).toEqual([]);
  });
});

import { onBeforeUnmount, shallowRef, watch, type Ref } from 'vue';
import type { DistrictGeometry } from '../../shared/district.ts';
import type { WallLayout } from '../../shared/wall-layout.ts';
import type { GLMap, MapConfig } from '../map/engine.ts';
import type { FlyQueue } from '../map/fly-queue.ts';
import { IdleTour, tourCodesFrom, tourStops, type TourStop } from '../map/idle-tour.ts';
import { districtPadding } from '../map/wall-view.ts';

const INPUT_EVENTS = ['pointermove', 'pointerdown', 'wheel', 'keydown', 'touchstart'] as const;
const TICK_MS = 1000;
const FLY_MS = 3000;

/**
 * The idle tour of the configured streets (WALL_TOUR, or `?tour=` on the wall's URL): returns
 * the street shown now, for the screen to name it. Timer and listeners end with the component.
 */
export function useWallTour(
  map: Ref<GLMap | null>, district: Ref<DistrictGeometry | null>, config: Ref<MapConfig | null>,
  layout: Readonly<Ref<WallLayout>>, scale: Readonly<Ref<number>>, flyQueue: { value: FlyQueue | null }, urlTour: string | null,
) {
  const current = shallowRef<TourStop | null>(null);
  let tour: IdleTour | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;
  const onInput = () => tour?.input();

  const stop = watch([map, district, config], ([m, d, c]) => {
    if (!m || !d || !c || tour) return;
    const { stops, unknown } = tourStops(tourCodesFrom(urlTour, c.wall.tour), d);
    if (unknown.length) console.warn(`[wall] tour: no street ${unknown.join(', ')} in this district; skipped`);
    if (stops.length === 0) return;
    tour = new IdleTour({
      stops, idleMs: c.wall.idleS * 1000, stopMs: c.wall.tourS * 1000, now: Date.now,
      fly: (s) => {
        // The street's extent between the panels, a little wider than the street itself.
        const p = districtPadding(layout.value, scale.value);
        const k = 60 * scale.value;
        m.fitBounds(s.bounds, { padding: { top: p.top + k, bottom: p.bottom + k, left: p.left + k, right: p.right + k }, duration: FLY_MS, essential: true });
      },
      onStop: (s) => (current.value = s),
      blocked: () => flyQueue.value?.active ?? false,
    });
    for (const ev of INPUT_EVENTS) window.addEventListener(ev, onInput, { passive: true });
    timer = setInterval(() => tour?.tick(), TICK_MS);
  }, { immediate: true });

  onBeforeUnmount(() => {
    stop();
    clearInterval(timer);
    for (const ev of INPUT_EVENTS) window.removeEventListener(ev, onInput);
    tour = null;
  });
  return current;
}

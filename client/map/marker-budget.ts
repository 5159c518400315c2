/**
 * What a moving fleet costs the map, and how the wall keeps it affordable. Every redraw of a
 * moving kind hands the map the markers that changed, and the map re-cuts and re-lays out every
 * tile they touch — at district zoom, all of them; the cost grows with the markers handed over,
 * not with what the eye can tell apart. So:
 *
 * - at district zoom a vehicle or muck-truck fleet of thousands is drawn one in N (alarms
 *   always), as staff are drawn one in two (`districtKeepOneIn`) — 18,000 vehicle arrows on
 *   one screen are a blur, 2,000 show the fleet's spread — and every marker from
 *   ALL_MARKERS_ZOOM in, where the view holds a part of the district;
 * - a fleet glides between reports at the render loop's ~10 fps while it is small, less often
 *   when bigger, and steps straight to each report once a tick when too big to glide at all.
 *
 * A district's fleet (a few hundred vehicles) is never thinned by the budget nor slowed here; its
 * 1,500 staff are drawn one in two at district zoom whatever their number.
 * bench:render measured the need: 20,000 moving entities all handed to the map each tick held
 * the wall to about half its frame rate on a software GL.
 */

/** The render loop's own tick: the fastest a kind is ever redrawn. */
export const FRAME_MS = 100;
/** Markers of one moving kind handed to the map at district zoom, at most (alarms come on top). */
export const DISTRICT_MARKERS = 2_000;
/** Gliding markers handed to the map per second at most: 2,000 at 10 fps. */
export const GLIDE_FEATURES_PER_S = 20_000;
/** Redraws further apart than this are not a glide: the kind jumps to each report instead. */
export const MAX_GLIDE_INTERVAL_MS = 500;

/** One marker in this many is handed to the map (1: all) for a moving kind of `count` at `zoom`. */
export function keepOneIn(count: number, zoom: number, allMarkersZoom: number): number {
  return zoom >= allMarkersZoom ? 1 : Math.max(1, Math.ceil(count / DISTRICT_MARKERS));
}

export type GlidePolicy = { glide: true; everyMs: number } | { glide: false };

/** For a kind with `markers` handed to the map: glide every `everyMs`, or step to each report. */
export function glidePolicy(markers: number): GlidePolicy {
  const everyMs = Math.max(FRAME_MS, (1000 * markers) / GLIDE_FEATURES_PER_S);
  return everyMs > MAX_GLIDE_INTERVAL_MS ? { glide: false } : { glide: true, everyMs };
}

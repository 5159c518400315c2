/**
 * Format-2 frames for screens, built once per (tick, base version, subscription) and shared by
 * every screen that asks for the same one — so 100 walls reconnecting at once after a restart
 * cost one full frame and one catalog, not a hundred.
 */
import { encodeLiveFrameV2 } from '../../shared/live-codec.ts';
import type { LiveStart } from '../../shared/live-events.ts';
import { subscriptionKey, viewFilter, type LiveSubscription, type ViewFilter } from '../../shared/live-subscription.ts';
import type { LiveState } from './live-state.ts';
import type { LiveTickStates, TickState } from './tick-states.ts';

const encoder = new TextEncoder();
/** Distinct subscriptions whose view test is kept; past this the cache starts over (a few screens each). */
const MAX_VIEWS = 256;

export interface ResumeRequest { streamId: string; catalogId: string; catalogSize: number; version: number }

export class LiveViewFrames {
  private cacheVersion = -1;
  private readonly frames = new Map<string, Uint8Array | null>();
  private readonly views = new Map<string, ViewFilter>();
  private catalogCache: { size: number; bytes: Uint8Array } | undefined;
  /** Frames encoded since start: what a reconnect storm costs is read from here. */
  builds = 0;

  constructor(private readonly states: LiveTickStates, private readonly live: LiveState) {}

  private view(sub: LiveSubscription, key: string): ViewFilter {
    let v = this.views.get(key);
    if (!v) {
      if (this.views.size >= MAX_VIEWS) this.views.clear();
      // The catalog array grows in place: the filter sees entries added later.
      v = viewFilter(sub, this.live.catalog);
      this.views.set(key, v);
    }
    return v;
  }

  private cached(state: TickState, key: string, build: () => Uint8Array | null): Uint8Array | null {
    if (state.version !== this.cacheVersion) {
      this.frames.clear();
      this.cacheVersion = state.version;
    }
    let frame = this.frames.get(key);
    if (frame === undefined) {
      frame = build();
      if (frame) this.builds++;
      this.frames.set(key, frame);
    }
    return frame;
  }

  /** The whole view at `state`. */
  full(state: TickState, sub: LiveSubscription): Uint8Array {
    const key = subscriptionKey(sub);
    const view = this.view(sub, key);
    return this.cached(state, `full ${key}`, () => encodeLiveFrameV2(
      { full: true, version: state.version, baseVersion: 0, serverTime: state.serverTime },
      null, state.cols, range(state.cols.size), view,
    ))!;
  }

  /**
   * From `baseVersion` to `state`: null when nothing in the view changed (or `empty` is not
   * asked), undefined when the ring no longer holds the base (the caller sends a full frame).
   */
  delta(state: TickState, baseVersion: number, sub: LiveSubscription, empty = false): Uint8Array | null | undefined {
    const base = this.states.at(baseVersion);
    if (!base) return undefined;
    const key = subscriptionKey(sub);
    const view = this.view(sub, key);
    const frame = this.cached(state, `${baseVersion} ${key}`, () => {
      if (baseVersion === state.version) return null;
      return encodeLiveFrameV2(
        { full: false, version: state.version, baseVersion, serverTime: state.serverTime },
        base.cols, state.cols, this.states.changedBetween(baseVersion, state.version), view,
      );
    });
    if (frame === null && empty) {
      // A resumed screen that missed nothing still gets a frame: it says "you are current".
      return this.cached(state, `${baseVersion} ${key} empty`, () => encodeLiveFrameV2(
        { full: false, version: state.version, baseVersion, serverTime: state.serverTime }, base.cols, state.cols, [], view,
      ));
    }
    return frame;
  }

  /** Catalog entries from `from` on as UTF-8 JSON; the whole catalog is encoded once per size. */
  catalogBytes(from: number): Uint8Array {
    const catalog = this.live.catalog;
    if (from > 0) return encoder.encode(JSON.stringify(catalog.slice(from)));
    if (this.catalogCache?.size !== catalog.length) this.catalogCache = { size: catalog.length, bytes: encoder.encode(JSON.stringify(catalog)) };
    return this.catalogCache.bytes;
  }

  /** The first message of a format-2 connection: resumed when it can be, whole otherwise. */
  start(state: TickState, sub: LiveSubscription, resume: ResumeRequest | undefined): LiveStart {
    const common = { format: 2 as const, streamId: this.states.streamId, catalogId: this.live.catalogId, subscription: sub };
    if (resume && resume.streamId === this.states.streamId && resume.catalogId === this.live.catalogId
      && Number.isInteger(resume.catalogSize) && resume.catalogSize >= 0 && resume.catalogSize <= this.live.catalog.length) {
      const frame = this.delta(state, resume.version, sub, true);
      if (frame) return { ...common, catalogFrom: resume.catalogSize, catalog: this.catalogBytes(resume.catalogSize), resumed: true, frame };
    }
    return { ...common, catalogFrom: 0, catalog: this.catalogBytes(0), resumed: false, frame: this.full(state, sub) };
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

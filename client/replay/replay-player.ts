/**
 * The replay player: reads GET /api/replay as it streams (shared/replay-stream.ts), keeps
 * every frame in memory still encoded (a day is tens of MB as bytes, far more as objects),
 * and feeds the wall's EntityBuffer as replayed time passes at the chosen speed, so the
 * wall's LiveRenderer draws the past exactly as it draws the present.
 *
 * Seeking applies the nearest keyframe at or before the instant, then the deltas after it.
 * Not reactive: the screen hears about the state through `onState`, at most ~10 times a second.
 */
import { decodeLiveFrame } from '../../shared/live-codec.ts';
import {
  REPLAY_RECORD, ReplayStreamError, ReplayStreamReader, type ReplayEnd, type ReplayHeader, type ReplayIncidents, type ReplayRecord,
} from '../../shared/replay-stream.ts';
import type { EntityBuffer } from '../realtime/entity-buffer.ts';

export const REPLAY_SPEEDS = [1, 10, 60, 600, 3600] as const;
export type ReplaySpeed = (typeof REPLAY_SPEEDS)[number];

export interface ReplayState {
  from: number;
  to: number;
  /** The replayed instant, ms since epoch. */
  time: number;
  playing: boolean;
  speed: ReplaySpeed;
  /** Frames have arrived up to this instant (to, once the stream ended). */
  loadedUntil: number;
  loading: boolean;
  /** Set when the stream failed or was cut short. */
  error: string | null;
  timeZone: string;
}

/** One frame held: when it shows, whether it is a keyframe, and its bytes. */
interface HeldFrame { t: number; full: boolean; bytes: Uint8Array }

const STATE_EVERY_MS = 100;
/**
 * Real time one tick may advance: a tab that stalls (hidden, or one slow software-GL frame)
 * resumes where it was instead of jumping ahead by speed × the stall.
 */
const MAX_TICK_MS = 250;

export class ReplayPlayer {
  header: ReplayHeader | null = null;
  incidents: ReplayIncidents = { cases: [], alarms: [] };
  end: ReplayEnd | null = null;
  readonly frames: HeldFrame[] = [];
  /** Indices into `frames` of the keyframes, in time order. */
  private readonly keyframes: number[] = [];
  /** Next frame to apply while playing. */
  private next = 0;
  private time = 0;
  private playing = false;
  private speed: ReplaySpeed = 60;
  private loading = false;
  private error: string | null = null;
  private lastTick = 0;
  private lastState = 0;
  private raf = 0;
  private abort: AbortController | null = null;
  private disposed = false;

  constructor(
    private readonly buffer: EntityBuffer,
    private readonly onState: (state: ReplayState) => void = () => {},
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Streams the window from the server; resolves when the stream has ended (the player plays long before). */
  async load(url: string, token: string | null): Promise<void> {
    this.abort?.abort();
    const abort = (this.abort = new AbortController());
    // Another window: nothing of the previous one is kept.
    this.frames.length = 0;
    this.keyframes.length = 0;
    this.header = null;
    this.end = null;
    this.incidents = { cases: [], alarms: [] };
    this.next = 0;
    this.error = null;
    this.pause();
    this.loading = true;
    this.emit(true);
    try {
      const res = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {}, signal: abort.signal });
      if (!res.ok || !res.body) {
        let message = `HTTP ${res.status}`;
        try { message = ((await res.json()) as { error?: { message?: string } }).error?.message ?? message; } catch { /* not JSON */ }
        throw new Error(message);
      }
      const reader = new ReplayStreamReader();
      const body = res.body.getReader();
      for (;;) {
        const { done, value } = await body.read();
        if (done) break;
        for (const rec of reader.push(value)) this.accept(rec);
      }
      reader.finish();
      if (!this.end) throw new ReplayStreamError('the stream was cut short (no END record)');
    } catch (err) {
      if (abort.signal.aborted || this.disposed) return;
      this.error = (err as Error).message;
      console.warn(`[replay] ${this.error}`);
    } finally {
      if (this.abort === abort) {
        this.loading = false;
        this.emit(true);
      }
    }
  }

  /** One record of the stream (exposed for tests that feed a stream without a server). */
  accept(rec: ReplayRecord): void {
    if (rec.type === REPLAY_RECORD.header) {
      this.header = rec.header;
      this.buffer.reset(rec.header.catalogId, rec.header.catalog);
      this.time = rec.header.from;
    } else if (rec.type === REPLAY_RECORD.incidents) {
      this.incidents = rec.incidents;
    } else if (rec.type === REPLAY_RECORD.end) {
      this.end = rec.end;
    } else {
      const held = { ...frameTime(rec.frame), bytes: rec.frame };
      if (held.full) this.keyframes.push(this.frames.length);
      this.frames.push(held);
      // The first keyframe is the picture at `from`: show it at once.
      if (this.frames.length === 1) this.seek(this.time);
      // Paused at an instant the stream has not reached yet (a jump to an incident): catch up as frames come.
      else if (!this.playing && held.t <= this.time) this.applyUntil(this.time, this.clock());
      this.emit(false);
      return;
    }
    // Header, incidents and end are rare and each changes what the screen shows: never throttled.
    this.emit(true);
  }

  get state(): ReplayState {
    const h = this.header;
    return {
      from: h?.from ?? 0, to: h?.to ?? 0, time: this.time, playing: this.playing, speed: this.speed,
      loadedUntil: this.end && h ? h.to : (this.frames[this.frames.length - 1]?.t ?? h?.from ?? 0),
      loading: this.loading, error: this.error, timeZone: h?.timeZone ?? 'Asia/Shanghai',
    };
  }

  play(): void {
    if (!this.header || this.playing) return;
    if (this.time >= this.header.to) this.seek(this.header.from);
    this.playing = true;
    this.lastTick = this.clock();
    this.startLoop();
    this.emit(true);
  }

  pause(): void {
    this.playing = false;
    this.stopLoop();
    this.emit(true);
  }

  setSpeed(speed: ReplaySpeed): void {
    this.speed = speed;
    this.emit(true);
  }

  /** Shows the instant `t`: the keyframe at or before it, then every delta up to it. */
  seek(t: number): void {
    const h = this.header;
    if (!h) return;
    this.time = Math.min(h.to, Math.max(h.from, t));
    let lo = 0, hi = this.keyframes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.frames[this.keyframes[mid]!]!.t <= this.time) lo = mid + 1; else hi = mid;
    }
    const k = this.keyframes[lo - 1];
    if (k === undefined) {
      this.emit(true); // nothing to show yet: the first keyframe will show this instant
      return;
    }
    const now = this.clock();
    // A reset first: entities that appear only later must not keep a state from another instant.
    this.buffer.reset(h.catalogId, h.catalog);
    this.buffer.apply(decodeLiveFrame(this.frames[k]!.bytes), now);
    this.next = k + 1;
    this.applyUntil(this.time, now);
    // A jump is not a motion: every marker stands where it is at that instant, no glide.
    this.buffer.glideMs.fill(0);
    this.buffer.markAllDirty();
    this.emit(true);
  }

  /** Advances replayed time by the real time since the last tick (at most MAX_TICK_MS) × speed (the loop calls it; tests too). */
  tick(now = this.clock()): void {
    const h = this.header;
    if (!h || !this.playing) return;
    const elapsed = Math.min(MAX_TICK_MS, Math.max(0, now - this.lastTick));
    this.lastTick = now;
    // Never ahead of what has arrived: the film waits for the stream (buffering) rather than skip.
    const limit = this.end ? h.to : Math.min(h.to, this.frames[this.frames.length - 1]?.t ?? h.from);
    // …and never back: a seek past what has arrived waits there.
    this.time = Math.max(this.time, Math.min(limit, this.time + elapsed * this.speed));
    this.applyUntil(this.time, now);
    if (this.time >= h.to) {
      this.playing = false;
      this.stopLoop();
      this.emit(true);
      return;
    }
    this.emit(false);
  }

  dispose(): void {
    this.disposed = true;
    this.abort?.abort();
    this.stopLoop();
    this.frames.length = 0;
    this.keyframes.length = 0;
  }

  private applyUntil(t: number, now: number): void {
    while (this.next < this.frames.length && this.frames[this.next]!.t <= t) {
      const f = this.frames[this.next++]!;
      // Playing forward, the delta before a keyframe already brought its state.
      if (!f.full) this.buffer.apply(decodeLiveFrame(f.bytes), now);
    }
  }

  private startLoop(): void {
    if (this.raf !== 0 || typeof requestAnimationFrame === 'undefined') return;
    const loop = (t: number) => {
      this.raf = requestAnimationFrame(loop);
      this.tick(t);
    };
    this.raf = requestAnimationFrame(loop);
  }

  private stopLoop(): void {
    if (this.raf !== 0) cancelAnimationFrame(this.raf);
    this.raf = 0;
  }

  private emit(force: boolean): void {
    const now = this.clock();
    if (!force && now - this.lastState < STATE_EVERY_MS) return;
    this.lastState = now;
    this.onState(this.state);
  }
}

/** A frame's instant and kind from its header alone (shared/live-codec.ts): the rows are decoded when it is shown. */
export function frameTime(bytes: Uint8Array): { t: number; full: boolean } {
  if (bytes.length < 36) throw new ReplayStreamError(`frame too short: ${bytes.length} bytes`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint16(0, true) !== 0xc17e) throw new ReplayStreamError('a frame record is not a live-codec frame');
  return { t: dv.getFloat64(20, true), full: (dv.getUint8(3) & 1) === 1 };
}

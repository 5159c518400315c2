/**
 * The live benchmark's screens: `screens` real socket.io-client connections in one process,
 * separate from the server. Every screen reads everything it is sent; the first `measuring`
 * screens also decode it and time each sampled position from its planned posting (fleet.ts) to
 * its arrival (taken when the frame is read, before it is decoded), and count the bytes their
 * TCP sockets read.
 *
 * mode 'product': the project's live protocol, in the format the handshake asks for — format 1
 *                 ('live:snapshot', then 'live:delta' frames decoded alone) or format 2 ('live:start',
 *                 then deltas applied to the screen's columns by the wall's own LiveViewState).
 * mode 'naive':   the baseline's 'entities' events, JSON arrays of entity objects.
 *
 * Commands on stdin, one per line; each answers with one JSON line on stdout:
 *   timetable T the load's timetable (JSON), sent once the screens are connected → {"ok":true}
 *   mark        start a measuring window (counters to zero)      → {"ok":true}
 *   report      the window so far (ScreensReport)
 *   pause N     the last N screens stop reading their sockets    → {"ok":true}
 *   resume      they read again                                  → {"ok":true}
 */
import { createInterface } from 'node:readline';
import type { Socket as NetSocket } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import { Decoder, Encoder, PacketType } from 'socket.io-parser';
import { decodeLiveFrame } from '../../../shared/live-codec.ts';
import type { CatalogChange, LiveStart } from '../../../shared/live-events.ts';
import { LiveViewState, parseCatalogBytes } from '../../../client/realtime/view-state.ts';
import { markOf, plannedAt, roundOf, type Timetable } from './fleet.ts';

export interface ScreensPlan {
  port: number; token: string; mode: 'product' | 'naive'; screens: number; measuring: number;
  /** Extra handshake fields (the live protocol's format to negotiate). */
  handshake?: Record<string, unknown>;
}
export interface ScreensReport {
  seconds: number; connected: number; measuring: number;
  /** Moved entities received per measuring screen per second. */
  rowsPerScreenPerS: number;
  /** Bytes of live payload (frames or JSON text) per moved entity. */
  payloadBytesPerEntity: number;
  /** Bytes read from the TCP socket (every event, framing included) per moved entity. */
  wireBytesPerEntity: number;
  latencyP50Ms: number; latencyP99Ms: number; latencyMaxMs: number; samples: number;
  /** Of that, from the server's tick (the frame's serverTime) to arrival, per frame (format 2). */
  afterTickP50Ms: number; afterTickP99Ms: number;
  decodeErrors: number; disconnects: number;
  /** This process's CPU over the window, % of one core. */
  screensCpuPct: number;
}

/**
 * One device in SAMPLE_EVERY is timed: enough samples for a p99, little enough work to keep up.
 * Chosen across every slot of the timetable (k div slots), so that all posting times are sampled.
 */
const SAMPLE_EVERY = 10;

/**
 * For the naive screens that do not measure: the socket.io packet is read off the socket but its
 * JSON is not parsed. A hundred JSON.parse of every broadcast in one bench process on a shared
 * 2-core machine would measure this process, not the server; the product's screens that do not
 * measure likewise leave their frames undecoded.
 */
/** How a socket.io text packet of the naive 'entities' event starts, and its framing around the list. */
const ENTITIES_PACKET = '2["entities",';
const ENTITIES_FRAMING = ENTITIES_PACKET.length + 1;

class UnparsedEntitiesDecoder extends Decoder {
  override add(obj: unknown): void {
    if (typeof obj === 'string' && obj.startsWith(ENTITIES_PACKET)) {
      this.emitReserved('decoded', { type: PacketType.EVENT, nsp: '/', data: ['entities:unparsed', obj.length] });
    } else super.add(obj);
  }
}

/**
 * For the naive screens that measure: the text of each 'entities' packet is counted as it comes
 * off the socket (what the server sent, without a JSON.stringify of the parsed list to count it).
 */
let naiveText = 0;
class CountingDecoder extends Decoder {
  override add(obj: unknown): void {
    if (typeof obj === 'string' && obj.startsWith(ENTITIES_PACKET)) naiveText += Buffer.byteLength(obj) - ENTITIES_FRAMING;
    super.add(obj);
  }
}

const plan = JSON.parse(process.argv[2]!) as ScreensPlan;
let t: Timetable | undefined;

/** wire0: bytes its TCP socket had read at the mark (a reconnect brings a new socket, counted from 0). */
interface Screen { socket: Socket; measuring: boolean; wire0: number; raw0: NetSocket | undefined }
const screens: Screen[] = [];
let latencies: number[] = [];
let afterTick: number[] = [];
let rows = 0;
let payloadBytes = 0;
let decodeErrors = 0;
let disconnects = 0;
let markedAt = Date.now();
let cpu0 = process.cpuUsage();

const rawSocket = (s: Socket): NetSocket | undefined =>
  (s.io.engine as unknown as { transport?: { ws?: { _socket?: NetSocket } } }).transport?.ws?._socket;
const wireRead = (s: Screen) => rawSocket(s.socket)?.bytesRead ?? 0;
const wireSinceMark = (s: Screen) => (rawSocket(s.socket) === s.raw0 ? wireRead(s) - s.wire0 : wireRead(s));

function time(lon: number, lat: number, at: number): void {
  if (!t) return;
  const mark = markOf(Math.round(lon * 1e6), Math.round(lat * 1e6));
  if (!mark || Math.floor(mark.k / t.slots) % SAMPLE_EVERY !== 0) return;
  const r = roundOf(t, mark.k, mark.roundMod, at);
  if (r !== null) latencies.push(at - plannedAt(t, r, mark.k % t.slots));
}

/**
 * The measuring screens' decoding waits until every socket has read what has arrived: a real
 * wall decodes on its own machine, and ten decodes in a row here would otherwise delay the
 * arrival time taken for the next screens' frames — the bench measuring itself, not the server.
 * setImmediate runs after the poll phase and in order, so each screen applies its frames in turn.
 */
const afterReads = (work: () => void) => setImmediate(work);

function connect(k: number): Promise<void> {
  const measuring = k < plan.measuring;
  const socket = io(`http://127.0.0.1:${plan.port}`, {
    auth: { token: plan.token, ...plan.handshake }, transports: ['websocket'], forceNew: true, reconnection: true,
    // On a loaded machine a snapshot of 20,000 entities to ten screens at once takes longer than the default 20 s.
    timeout: 120_000,
    ...(plan.mode === 'naive' ? { parser: { Encoder, Decoder: measuring ? CountingDecoder : UnparsedEntitiesDecoder } } : {}),
  });
  const screen: Screen = { socket, measuring, wire0: 0, raw0: undefined };
  socket.on('disconnect', () => { disconnects++; });
  const format = (plan.handshake?.live as { format?: number } | undefined)?.format ?? 1;
  if (plan.mode === 'product' && format === 2) {
    const view = new LiveViewState();
    socket.on('live:start' as never, (start: LiveStart) => {
      if (!measuring) return;
      try {
        view.reset(start.streamId, start.catalogId, start.catalogFrom + parseCatalogBytes(start.catalog, start.catalogFrom).length);
        view.apply(start.frame);
      } catch {
        decodeErrors++;
      }
    });
    socket.on('live:catalog' as never, (change: CatalogChange) => {
      const last = change.entries[change.entries.length - 1];
      if (measuring && last) view.grow(last.i + 1);
    });
    socket.on('live:delta' as never, (frame: Uint8Array) => {
      if (!measuring) return;
      const at = Date.now();
      afterReads(() => {
        try {
          const applied = view.apply(frame);
          if (typeof applied === 'string') { decodeErrors++; return; }
          if (applied.full) return;
          afterTick.push(at - applied.serverTime);
          payloadBytes += frame.byteLength;
          rows += applied.rows.length;
          for (const row of applied.rows) if (row.pos) time(row.pos.lon, row.pos.lat, at);
        } catch {
          decodeErrors++;
        }
      });
    });
  } else if (plan.mode === 'product') {
    socket.on('live:delta' as never, (frame: Uint8Array) => {
      if (!measuring) return;
      const at = Date.now();
      afterReads(() => {
        try {
          const f = decodeLiveFrame(frame);
          payloadBytes += frame.byteLength;
          rows += f.rows.length;
          for (const row of f.rows) if (row.pos) time(row.pos.lon, row.pos.lat, at);
        } catch {
          decodeErrors++;
        }
      });
    });
  } else {
    socket.on('entities', (list: { lon: number; lat: number }[]) => {
      if (!measuring) return;
      const at = Date.now();
      afterReads(() => {
        // The text the server sent: what a JSON broadcast costs per entity.
        payloadBytes += naiveText;
        naiveText = 0;
        rows += list.length;
        for (const e of list) time(e.lon, e.lat, at);
      });
    });
  }
  screens.push(screen);
  return new Promise((ok, fail) => {
    socket.once('connect', () => ok());
    socket.once('connect_error', (err) => fail(new Error(`screen ${k}: ${err.message}`)));
  });
}

const pct = (xs: number[], p: number) => {
  const s = Float64Array.from(xs).sort();
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

function report(): ScreensReport {
  const seconds = (Date.now() - markedAt) / 1000;
  const measured = screens.filter((s) => s.measuring);
  const wire = measured.reduce((sum, s) => sum + wireSinceMark(s), 0);
  const cpu = process.cpuUsage(cpu0);
  return {
    seconds, connected: screens.filter((s) => s.socket.connected).length, measuring: measured.length,
    rowsPerScreenPerS: rows / measured.length / seconds,
    payloadBytesPerEntity: rows ? payloadBytes / rows : NaN,
    wireBytesPerEntity: rows ? wire / rows : NaN,
    latencyP50Ms: pct(latencies, 50), latencyP99Ms: pct(latencies, 99), latencyMaxMs: latencies.reduce((a, b) => Math.max(a, b), -Infinity),
    afterTickP50Ms: pct(afterTick, 50), afterTickP99Ms: pct(afterTick, 99),
    samples: latencies.length, decodeErrors, disconnects,
    screensCpuPct: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
  };
}

// Ten at a time: a hundred snapshots requested at once would measure the connection storm, not the steady state.
for (let k = 0; k < plan.screens; k += 10) {
  await Promise.all(Array.from({ length: Math.min(10, plan.screens - k) }, (_, j) => connect(k + j)));
}
process.stdout.write('ready\n');

const say = (x: object) => process.stdout.write(`${JSON.stringify(x)}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, arg] = line.split(' ', 2);
  if (cmd === 'timetable') {
    t = JSON.parse(line.slice(cmd.length + 1)) as Timetable;
    say({ ok: true });
  } else if (cmd === 'mark') {
    latencies = [];
    naiveText = 0;
    afterTick = [];
    rows = 0;
    payloadBytes = 0;
    decodeErrors = 0;
    disconnects = 0;
    for (const s of screens) { s.wire0 = wireRead(s); s.raw0 = rawSocket(s.socket); }
    markedAt = Date.now();
    cpu0 = process.cpuUsage();
    say({ ok: true });
  } else if (cmd === 'report') say(report());
  else if (cmd === 'pause') {
    for (const s of screens.slice(-Number(arg))) rawSocket(s.socket)?.pause();
    say({ ok: true });
  } else if (cmd === 'resume') {
    for (const s of screens) rawSocket(s.socket)?.resume();
    say({ ok: true });
  } else if (cmd === 'stop') {
    for (const s of screens) s.socket.close();
    process.exit(0);
  }
});

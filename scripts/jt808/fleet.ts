/**
 * Emulated JT/T 808 terminals: each a real TCP client that registers (0x0100), authenticates
 * with the code the platform gave it (0x0102), then reports its position (0x0200) as it
 * drives along the district's roads; it answers a text message (0x8300) with 0x0001 and a
 * position query (0x8201) with 0x0201. A quarantined terminal registers again until an
 * admin accepts it. One timer drives the whole fleet, so 10,000 terminals fit one process.
 */
import { connect, type Socket } from 'node:net';
import { decodeFrame, encodeFrame, type Jt808Frame } from '../../server/ingest/jt808/frame.ts';
import { Jt808FrameSplitter } from '../../server/ingest/jt808/framing.ts';
import { encodeLocation } from '../../server/ingest/jt808/location.ts';
import { decodeGeneralResponse, decodeText, encodeGeneralResponse, encodeRegistration, MSG, REGISTER_RESULT, RESULT } from '../../server/ingest/jt808/messages.ts';
import { rng, type RoadGraph, RoadWalker, type WalkState } from './road-walk.ts';

export interface FleetOptions {
  host: string;
  port: number;
  terminals: number;
  /** Seconds between position reports. */
  intervalS: number;
  /** First terminal's phone number; the others count up from it (12 digits, 2013 header). */
  phoneBase: number;
  speedKph: number;
  seed: number;
  /** Plates to register with (a pack vehicle's plate binds the terminal to it); terminal i takes plates[i]. */
  plates?: string[];
  /** Seconds between registrations while quarantined. */
  retryS: number;
  /** Connections opened per fleet tick, so that a large fleet does not overflow the listen backlog. */
  connectPerTick: number;
  /** Report alarm bit 0 (SOS) from these terminal indexes. */
  sos?: Set<number>;
  onText?(phone: string, text: string): void;
  /** Result a terminal gives to a text message (0 ok). */
  textResult?: number;
  log?(line: string): void;
}

export const DEFAULT_FLEET: Omit<FleetOptions, 'port'> = {
  host: '127.0.0.1', terminals: 1, intervalS: 10, phoneBase: 13900000000, speedKph: 30, seed: 1, retryS: 10, connectPerTick: 200,
};

type State = 'idle' | 'connecting' | 'registering' | 'authenticating' | 'reporting';

export interface TerminalView { phone: string; state: State; reports: number; acked: number; texts: string[]; authCode?: string; lon: number; lat: number }

class Terminal {
  state: State = 'idle';
  socket: Socket | undefined;
  authCode: string | undefined;
  serial = 0;
  /** Serials of the latest registration and authentication: a late answer to an earlier one is stale. */
  registerSerial = -1;
  authSerial = -1;
  nextAt = 0;
  reports = 0;
  acked = 0;
  texts: string[] = [];
  lastPos = { lon: 0, lat: 0, course: 0 };
  readonly walk: WalkState;

  constructor(readonly index: number, readonly phone: string, readonly plate: string | undefined, readonly random: () => number, walker: RoadWalker) {
    this.walk = walker.start(random);
    this.lastPos = walker.position(this.walk);
  }
}

export class EmulatedFleet {
  private readonly terminals: Terminal[] = [];
  private readonly walker: RoadWalker;
  private timer: NodeJS.Timeout | undefined;
  private lastTick = Date.now();
  readonly stats = { connected: 0, reports: 0, acked: 0, refusedRegistrations: 0, errors: 0, errorCodes: {} as Record<string, number> };

  constructor(private readonly opts: FleetOptions, graph: RoadGraph) {
    this.walker = new RoadWalker(graph);
    for (let i = 0; i < opts.terminals; i++) {
      const phone = String(opts.phoneBase + i).padStart(12, '0');
      this.terminals.push(new Terminal(i, phone, opts.plates?.[i], rng(opts.seed * 1_000_003 + i), this.walker));
    }
  }

  start(tickMs = 100): void {
    this.timer = setInterval(() => this.tick(), tickMs);
    this.tick();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const t of this.terminals) t.socket?.destroy();
  }

  view(i: number): TerminalView {
    const t = this.terminals[i]!;
    return { phone: t.phone, state: t.state, reports: t.reports, acked: t.acked, texts: [...t.texts], lon: t.lastPos.lon, lat: t.lastPos.lat, ...(t.authCode ? { authCode: t.authCode } : {}) };
  }

  get size(): number {
    return this.terminals.length;
  }

  countIn(state: State): number {
    return this.terminals.filter((t) => t.state === state).length;
  }

  private tick(): void {
    const now = Date.now();
    const dt = (now - this.lastTick) / 1000;
    this.lastTick = now;
    let opened = 0;
    for (const t of this.terminals) {
      if (t.state === 'reporting') t.lastPos = this.walker.advance(t.walk, (this.opts.speedKph / 3.6) * dt, t.random);
      if (t.state === 'idle' && now >= t.nextAt && opened < this.opts.connectPerTick) {
        opened++;
        this.open(t);
      } else if (t.state === 'registering' && now >= t.nextAt) {
        this.register(t);
      } else if (t.state === 'reporting' && now >= t.nextAt) {
        this.report(t);
        t.nextAt = now + this.opts.intervalS * 1000;
      }
    }
  }

  private open(t: Terminal): void {
    t.state = 'connecting';
    const socket = connect({ host: this.opts.host, port: this.opts.port });
    t.socket = socket;
    socket.setNoDelay(true);
    const splitter = new Jt808FrameSplitter({
      frame: (c) => {
        const d = decodeFrame(c);
        if (d.ok) this.onFrame(t, d.frame);
        else this.stats.errors++;
      },
      error: () => this.stats.errors++,
    });
    socket.on('connect', () => {
      this.stats.connected++;
      if (t.authCode) this.authenticate(t);
      else this.register(t);
    });
    socket.on('data', (chunk: Buffer) => splitter.push(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.stats.errors++;
      const code = err.code ?? 'other';
      this.stats.errorCodes[code] = (this.stats.errorCodes[code] ?? 0) + 1;
    });
    socket.on('close', () => {
      if (t.state !== 'connecting') this.stats.connected--;
      t.state = 'idle';
      t.socket = undefined;
      t.nextAt = Date.now() + this.opts.retryS * 1000;
    });
  }

  private send(t: Terminal, messageId: number, body: Buffer): number {
    const serial = t.serial;
    t.serial = (t.serial + 1) & 0xffff;
    t.socket?.write(encodeFrame({ messageId, phone: t.phone, serial }, body));
    return serial;
  }

  private register(t: Terminal): void {
    t.state = 'registering';
    t.nextAt = Date.now() + this.opts.retryS * 1000;
    t.registerSerial = this.send(t, MSG.register, encodeRegistration({
      manufacturer: 'COPS', model: 'CityOps-EMU', terminalId: String(t.index).padStart(7, '0').slice(-7),
      plateColor: t.plate ? 2 : 0, plate: t.plate ?? '',
    }));
  }

  private authenticate(t: Terminal): void {
    t.state = 'authenticating';
    t.authSerial = this.send(t, MSG.authenticate, Buffer.from(t.authCode!, 'latin1'));
  }

  private report(t: Terminal): void {
    this.send(t, MSG.location, this.locationBody(t));
    t.reports++;
    this.stats.reports++;
  }

  private locationBody(t: Terminal): Buffer {
    const p = t.lastPos;
    return encodeLocation({
      alarm: this.opts.sos?.has(t.index) ? 1 : 0,
      status: 0b11, // ACC on, fix valid
      lat: p.lat, lon: p.lon, speedKph: this.opts.speedKph, course: p.course, altitudeM: 30, ts: Math.floor(Date.now() / 1000) * 1000,
      tlv: [[0x01, u32(Math.round(t.reports * 0.5))], [0x30, Buffer.from([25])], [0x31, Buffer.from([12])]],
    });
  }

  private onFrame(t: Terminal, f: Jt808Frame): void {
    switch (f.header.messageId) {
      case MSG.registerAnswer: {
        // Registering again issues a new code: only the answer to the latest registration counts.
        if (f.body.length < 3 || f.body.readUInt16BE(0) !== t.registerSerial || t.state !== 'registering') return;
        const result = f.body[2];
        if (result === REGISTER_RESULT.ok) {
          t.authCode = f.body.toString('latin1', 3);
          this.authenticate(t);
        } else {
          this.stats.refusedRegistrations++;
          t.nextAt = Date.now() + this.opts.retryS * 1000;
          this.opts.log?.(`${t.phone}: registration answered ${result}; trying again in ${this.opts.retryS} s`);
        }
        return;
      }
      case MSG.platformResponse: {
        const r = decodeGeneralResponse(f.body);
        if (!r.ok) return;
        if (r.value.messageId === MSG.authenticate && r.value.serial === t.authSerial) {
          if (r.value.result === RESULT.ok) {
            t.state = 'reporting';
            t.nextAt = 0;
          } else {
            // A code the platform no longer knows: register afresh.
            t.authCode = undefined;
            this.register(t);
          }
        } else if (r.value.messageId === MSG.location && r.value.result === RESULT.ok) {
          t.acked++;
          this.stats.acked++;
        }
        return;
      }
      case MSG.text: {
        const d = decodeText(f.body);
        if (d.ok) {
          t.texts.push(d.value.text);
          if (t.texts.length > 20) t.texts.shift();
          this.opts.onText?.(t.phone, d.value.text);
        }
        this.send(t, MSG.terminalResponse, encodeGeneralResponse({ serial: f.header.serial, messageId: f.header.messageId, result: this.opts.textResult ?? RESULT.ok }));
        return;
      }
      case MSG.positionQuery: {
        const s = Buffer.alloc(2);
        s.writeUInt16BE(f.header.serial, 0);
        this.send(t, MSG.positionAnswer, Buffer.concat([s, this.locationBody(t)]));
        return;
      }
      default:
        this.send(t, MSG.terminalResponse, encodeGeneralResponse({ serial: f.header.serial, messageId: f.header.messageId, result: RESULT.unsupported }));
    }
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

/**
 * One terminal connection's protocol state (会话): new → (0x0100 registration) → (0x0102
 * authentication) → authenticated; only an authenticated terminal's reports reach the
 * ingest, under the phone number it authenticated with. Every refusal is answered where the
 * protocol has an answer, counted by reason, and told to the registry; none closes the
 * connection except repeated failed authentication.
 *
 * Transport-free: the TCP server (server.ts) hands it unescaped frames and gives it a way to
 * send and to close, so the state machine is tested without sockets.
 */
import type { EntityKind } from '../../../shared/entities.ts';
import type { DevicePort, RegistrationResult } from '../../devices/ports.ts';
import type { IngestSink } from '../types.ts';
import { decodeFrame, encodeFrame, type Jt808Frame } from './frame.ts';
import { decodeLocation, type Jt808Location } from './location.ts';
import {
  decodeAuth, decodeBatch, decodeGeneralResponse, decodePositionAnswer, decodeRegistration, encodeGeneralResponse,
  encodeRegisterAnswer, encodeText, MSG, REGISTER_RESULT, RESULT,
} from './messages.ts';
import { locationToUpdate, type MuckSignals } from './report.ts';
import { SubpackageAssembler, type SubpackageLimits } from './subpackage.ts';

export interface SessionIo {
  readonly address: string;
  send(frame: Buffer): void;
  close(reason: string): void;
}

/** A downlink the terminal answered (0x0001 to 0x8300; 0x0201 to 0x8201). */
export interface DownlinkAnswer { deviceId: string; serial: number; messageId: number; result: number }

export interface SessionEnv {
  directory: DevicePort;
  ingest: IngestSink;
  /** The kind of the entity a terminal reports for (the attributes it may set depend on it). */
  kindOf(entityId: string): EntityKind | undefined;
  muck: MuckSignals;
  /** Offset of the terminals' clocks from UTC in minutes (JT/T 808 says GMT+8). */
  tzOffsetMin: number;
  subpackageLimits: SubpackageLimits;
  maxBatchItems: number;
  now(): number;
  /** Counts a refusal by reason (the gateway's statistics). */
  count(reason: string): void;
  /** A terminal authenticated on this session; a previous session for it must end. */
  onAuthenticated(session: Jt808Session): void;
  onAnswer(answer: DownlinkAnswer): void;
  /** The terminal was told it is authenticated: downlink that waited for it may go now. */
  onReady?(session: Jt808Session): void;
}

const MAX_AUTH_FAILURES = 3;
/** Longer than any plate (车牌) the registry keeps. */
const MAX_PLATE_CHARS = 16;

export class Jt808Session {
  /** The phone number this connection authenticated as. */
  deviceId: string | undefined;
  entityId: string | undefined;
  readonly openedAt: number;
  lastFrameAt: number;
  private version2019 = false;
  private protocolVersion: number | undefined;
  private serial = 0;
  private authFailures = 0;
  private readonly subpackages: SubpackageAssembler;
  closed = false;

  constructor(private readonly env: SessionEnv, private readonly io: SessionIo) {
    this.openedAt = env.now();
    this.lastFrameAt = this.openedAt;
    this.subpackages = new SubpackageAssembler(env.subpackageLimits);
  }

  get authenticated(): boolean {
    return this.deviceId !== undefined;
  }

  get address(): string {
    return this.io.address;
  }

  /** An unescaped frame from the splitter. */
  handleContent(content: Uint8Array): void {
    const d = decodeFrame(content);
    if (!d.ok) {
      this.refuse(d.reason, d.detail, d.phone);
      return;
    }
    const now = this.env.now();
    this.lastFrameAt = now;
    const r = this.subpackages.add(d.frame, now);
    if (r.kind === 'refused') this.refuse(r.reason, r.detail, d.frame.header.phone);
    else if (r.kind === 'complete') this.handleMessage(r.frame);
  }

  /** Framing errors (bad escape, oversized frame) seen by the splitter. */
  framingError(reason: string, detail: string): void {
    this.refuse(reason, detail, undefined);
  }

  /** Periodic housekeeping from the server's sweep. */
  sweep(now: number): void {
    const expired = this.subpackages.expire(now);
    for (let i = 0; i < expired; i++) this.refuse('subpackageExpired', 'message not completed in time', undefined);
  }

  /** The connection ended; `current` is false when a newer connection of the same terminal replaced it. */
  ended(current: boolean): void {
    if (this.closed) return;
    this.closed = true;
    if (current && this.deviceId !== undefined) this.env.directory.disconnected('jt808', this.deviceId, this.env.now());
  }

  /** Ends the connection from outside the gateway (the cluster: the terminal reconnected to another node). */
  close(reason: string): void {
    this.io.close(reason);
  }

  /** 0x8300: sends a text to the terminal; returns the serial its 0x0001 answer will carry. */
  sendText(text: string, flags?: number): number {
    return this.send(MSG.text, encodeText(text, flags));
  }

  /** 0x8201: asks for the current position; the answer (0x0201) goes to the ingest like a report. */
  queryPosition(): number {
    return this.send(MSG.positionQuery, Buffer.alloc(0));
  }

  private handleMessage(f: Jt808Frame): void {
    const { header } = f;
    if (header.version2019) {
      this.version2019 = true;
      this.protocolVersion = header.protocolVersion;
    }
    switch (header.messageId) {
      case MSG.register: return this.onRegister(f);
      case MSG.authenticate: return this.onAuthenticate(f);
      case MSG.heartbeat:
        if (!this.authorised(f)) return;
        return this.answer(f, RESULT.ok);
      case MSG.location: return this.onLocation(f);
      case MSG.batch: return this.onBatch(f);
      case MSG.terminalResponse: return this.onTerminalResponse(f);
      case MSG.positionAnswer: return this.onPositionAnswer(f);
      default:
        this.refuse('unsupportedMessage', `message 0x${header.messageId.toString(16).padStart(4, '0')}`, header.phone);
        return this.answer(f, RESULT.unsupported);
    }
  }

  private onRegister(f: Jt808Frame): void {
    const d = decodeRegistration(f.body, f.header.version2019);
    if (!d.ok) {
      this.refuse('malformedRegistration', d.detail, f.header.phone);
      return this.answer(f, RESULT.wrongMessage);
    }
    const reg = d.value;
    if (reg.plate.length > MAX_PLATE_CHARS) {
      this.refuse('malformedRegistration', `plate of ${reg.plate.length} characters`, f.header.phone);
      return this.answer(f, RESULT.wrongMessage);
    }
    let pending: Promise<RegistrationResult>;
    try {
      // Answered once the registry has stored the terminal (and the hash of its auth code).
      pending = this.env.directory.registerTerminal({
        protocol: 'jt808', deviceId: f.header.phone, address: this.io.address,
        ...(reg.plate ? { plate: reg.plate } : {}),
        plateColor: reg.plateColor, province: reg.province, city: reg.city,
        ...(reg.manufacturer ? { manufacturer: reg.manufacturer } : {}),
        ...(reg.model ? { model: reg.model } : {}),
        ...(reg.terminalId ? { terminalId: reg.terminalId } : {}),
      }, this.env.now());
    } catch (err) {
      return this.registrationFailed(f, err);
    }
    pending.then((result) => this.answerRegistration(f, result), (err: unknown) => this.registrationFailed(f, err));
  }

  /**
   * The registry could not take it (say, no entity can be made from what the terminal said,
   * or the store failed): the terminal hears a failure and may try again; the connection stays.
   */
  private registrationFailed(f: Jt808Frame, err: unknown): void {
    this.refuse('registrationFailed', err instanceof Error ? err.message : String(err), f.header.phone);
    if (!this.closed) this.answer(f, RESULT.failed);
  }

  private answerRegistration(f: Jt808Frame, result: RegistrationResult): void {
    if (this.closed) return;
    if (result.outcome === 'accepted') {
      this.send(MSG.registerAnswer, encodeRegisterAnswer(f.header.serial, REGISTER_RESULT.ok, result.authCode), f.header.phone);
      return;
    }
    // Quarantined or refused: "terminal not in the database" makes a terminal try again
    // later, which is what an admin's accept needs; a taken plate has its own code.
    const code = result.outcome === 'refused' && result.reason === 'plateTaken' ? REGISTER_RESULT.vehicleTaken : REGISTER_RESULT.noTerminal;
    this.env.count(result.outcome === 'quarantined' ? 'registrationQuarantined' : `registration:${result.reason}`);
    this.send(MSG.registerAnswer, encodeRegisterAnswer(f.header.serial, code), f.header.phone);
  }

  private onAuthenticate(f: Jt808Frame): void {
    const d = decodeAuth(f.body, f.header.version2019);
    if (!d.ok) {
      this.refuse('malformedAuth', d.detail, f.header.phone);
      return this.answer(f, RESULT.wrongMessage);
    }
    const now = this.env.now();
    const r = this.env.directory.authenticate('jt808', f.header.phone, d.value.authCode, now);
    if (!r.ok) {
      // The detail never carries the code the terminal sent: it is a secret.
      this.refuse(`auth:${r.reason}`, r.detail, f.header.phone);
      this.answer(f, RESULT.failed);
      if (++this.authFailures >= MAX_AUTH_FAILURES) this.io.close('authFailures');
      return;
    }
    if (this.deviceId !== undefined && this.deviceId !== f.header.phone) this.env.directory.disconnected('jt808', this.deviceId, now);
    this.deviceId = f.header.phone;
    this.entityId = r.entityId;
    this.authFailures = 0;
    // The gateway first ends an older connection of this terminal, then it counts as connected here.
    this.env.onAuthenticated(this);
    this.env.directory.connected('jt808', this.deviceId, this.io.address, now);
    this.answer(f, RESULT.ok);
    this.env.onReady?.(this);
  }

  /** Reports need an authenticated session, and the same terminal that authenticated. */
  private authorised(f: Jt808Frame): boolean {
    if (this.deviceId === undefined) {
      this.refuse('unauthenticated', `message 0x${f.header.messageId.toString(16).padStart(4, '0')} before authentication`, f.header.phone);
      this.answer(f, RESULT.failed);
      return false;
    }
    if (f.header.phone !== this.deviceId) {
      this.refuse('phoneMismatch', 'a different terminal number on an authenticated connection', this.deviceId);
      this.answer(f, RESULT.failed);
      return false;
    }
    return true;
  }

  private onLocation(f: Jt808Frame): void {
    if (!this.authorised(f)) return;
    const d = decodeLocation(f.body, this.env.tzOffsetMin);
    if (!d.ok) {
      this.refuse('malformedLocation', d.detail, this.deviceId);
      return this.answer(f, RESULT.wrongMessage);
    }
    this.submit(d.location);
    this.answer(f, RESULT.ok);
  }

  private onBatch(f: Jt808Frame): void {
    if (!this.authorised(f)) return;
    const d = decodeBatch(f.body, this.env.tzOffsetMin, this.env.maxBatchItems);
    if (!d.ok) {
      this.refuse('malformedBatch', d.detail, this.deviceId);
      return this.answer(f, RESULT.wrongMessage);
    }
    for (const p of d.value.problems) this.refuse('malformedBatchItem', p, this.deviceId);
    // Oldest first, so that each item is judged against the ones before it.
    for (const loc of [...d.value.items].sort((a, b) => a.ts - b.ts)) this.submit(loc);
    this.answer(f, RESULT.ok);
  }

  private onTerminalResponse(f: Jt808Frame): void {
    if (!this.authorised(f)) return;
    const d = decodeGeneralResponse(f.body);
    if (!d.ok) return this.refuse('malformedResponse', d.detail, this.deviceId);
    this.env.onAnswer({ deviceId: this.deviceId!, serial: d.value.serial, messageId: d.value.messageId, result: d.value.result });
  }

  private onPositionAnswer(f: Jt808Frame): void {
    if (!this.authorised(f)) return;
    const d = decodePositionAnswer(f.body, this.env.tzOffsetMin);
    if (!d.ok) {
      this.refuse('malformedLocation', d.detail, this.deviceId);
      return this.answer(f, RESULT.wrongMessage);
    }
    this.submit(d.value.location);
    this.env.onAnswer({ deviceId: this.deviceId!, serial: d.value.serial, messageId: MSG.positionQuery, result: RESULT.ok });
    this.answer(f, RESULT.ok);
  }

  private submit(loc: Jt808Location): void {
    if (loc.tlvProblem) this.refuse('malformedTlv', loc.tlvProblem, this.deviceId);
    const kind = this.entityId === undefined ? undefined : this.env.kindOf(this.entityId);
    // The ingest counts and explains its own drops (filters, late reports).
    this.env.ingest.submit(locationToUpdate(this.deviceId!, loc, kind, this.env.muck));
  }

  private answer(f: Jt808Frame, result: number): void {
    this.send(MSG.platformResponse, encodeGeneralResponse({ serial: f.header.serial, messageId: f.header.messageId, result }), f.header.phone);
  }

  private send(messageId: number, body: Buffer, phone = this.deviceId): number {
    const serial = this.serial;
    this.serial = (this.serial + 1) & 0xffff;
    if (phone === undefined) return serial;
    this.io.send(encodeFrame({
      messageId, phone, serial,
      ...(this.version2019 ? { version2019: true, ...(this.protocolVersion !== undefined ? { protocolVersion: this.protocolVersion } : {}) } : {}),
    }, body));
    return serial;
  }

  private refuse(reason: string, detail: string, deviceId: string | undefined): void {
    this.env.count(reason);
    this.env.directory.refused('jt808', deviceId, reason, detail, this.env.now());
  }
}

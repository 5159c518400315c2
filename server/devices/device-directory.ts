/**
 * The device registry at run time: every device (the simulator's own, JT/T 808 terminals,
 * MQTT sensors, HTTP devices), which entity each reports for, its state and counters, and
 * which entities a real device has taken over from the simulator. It is what the gateways ask
 * (DevicePort), what the ingest resolves devices with (DeviceResolver), and what the device
 * page administers. All rows live in memory; state changes are written at once, counters in
 * batches (`flushCounters`, on a timer).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { MOBILE_KINDS, type AnyEntity } from '../../shared/entities.ts';
import type { Binding, DeviceProtocol } from '../../shared/schemas/devices.ts';
import { HttpError } from '../http-error.ts';
import type { DeviceResolution, DeviceResolver, DropReason, IngestSource } from '../ingest/types.ts';
import type { LiveState } from '../live/live-state.ts';
import type { DeviceRow, DevicesRepo } from './device-repo.ts';
import { buildEntity, normalisePlate, type EntityPlacer } from './new-entity.ts';
import type { AuthResult, DevicePort, RegistrationResult, TerminalRegistration } from './ports.ts';

import type { RegistrationPolicy } from './registration-policy.ts';

/** A device in memory: its row plus what only the running server knows. */
export interface DeviceRecord extends DeviceRow {
  /** A connection-oriented device (JT/T 808) holds a session now. */
  connected: boolean;
}

export interface DirectoryOptions {
  repo: DevicesRepo;
  live: LiveState;
  policy: RegistrationPolicy;
  /** Street and grid of a point, for new fixed sensors (bins, toilets). */
  place: EntityPlacer;
  now: () => number;
}

/** Refusals by protocol and reason that no registered device can carry (no id, unknown id, closed policy). */
export type UnattributedRefusals = Record<string, Record<string, number>>;

const key = (protocol: string, deviceId: string) => `${protocol}\u0000${deviceId}`;
const hashCode = (code: string) => createHash('sha256').update(code).digest('hex');

export class DeviceDirectory implements DevicePort, DeviceResolver {
  policy: RegistrationPolicy;
  private readonly repo: DevicesRepo;
  private readonly live: LiveState;
  private readonly place: EntityPlacer;
  private readonly now: () => number;
  private readonly byKey = new Map<string, DeviceRecord>();
  private readonly byId = new Map<number, DeviceRecord>();
  /** Entities a real device drives now → that device (the simulator leaves them alone). */
  private readonly drivenBy = new Map<string, DeviceRecord>();
  /** Devices whose counters changed since the last flush. */
  private readonly dirty = new Set<DeviceRecord>();
  readonly unattributed: UnattributedRefusals = {};
  private readonly takeoverListeners: ((entityId: string, device: DeviceRecord | undefined) => void)[] = [];

  constructor(opts: DirectoryOptions) {
    this.repo = opts.repo;
    this.live = opts.live;
    this.policy = opts.policy;
    this.place = opts.place;
    this.now = opts.now;
  }

  /**
   * Puts back the runtime entities (made for devices in earlier runs) into the live state, makes
   * sure every pack entity has its simulator device, and loads every device. Call once, before
   * anything reports or subscribes to the catalog.
   */
  load(packEntityIds: readonly string[]): { runtimeEntities: number; devices: number } {
    const now = this.now();
    let runtimeEntities = 0;
    for (const { entity } of this.repo.runtimeEntities()) {
      if (this.live.get(entity.id)) continue;
      this.live.addEntity(entity, now);
      runtimeEntities++;
    }
    this.repo.ensureSimDevices(packEntityIds, now);
    for (const row of this.repo.all()) this.remember({ ...row, connected: false });
    for (const d of this.byId.values()) if (this.isDriving(d)) this.drivenBy.set(d.entityId!, d);
    return { runtimeEntities, devices: this.byId.size };
  }

  private remember(d: DeviceRecord): void {
    this.byKey.set(key(d.protocol, d.deviceId), d);
    this.byId.set(d.id, d);
  }

  private isDriving(d: DeviceRecord): boolean {
    return d.protocol !== 'sim' && d.state === 'active' && d.entityId !== null && d.tookOverAt !== null;
  }

  // ---- the ingest's view -------------------------------------------------------------

  resolve(source: IngestSource, deviceId: string): DeviceResolution {
    const d = this.byKey.get(key(source, deviceId));
    if (source === 'sim') {
      // Entities created at run time have no simulator device; the simulator never reports for them.
      const entityId = d?.entityId ?? (this.live.get(deviceId) ? deviceId : undefined);
      if (entityId === undefined) return { ok: false, reason: 'unknownDevice', detail: `no entity ${deviceId} for the simulator` };
      if (d && d.state !== 'active') return { ok: false, reason: 'deviceInactive', detail: `simulator device ${deviceId} is ${d.state}` };
      const driver = this.drivenBy.get(entityId);
      if (driver) return { ok: false, reason: 'takenOver', detail: `${entityId} is driven by ${driver.protocol} device ${driver.deviceId}` };
      return { ok: true, entityId };
    }
    if (!d) return { ok: false, reason: 'unknownDevice', detail: `no ${source} device ${deviceId} is registered` };
    if (d.state !== 'active') return { ok: false, reason: 'deviceInactive', detail: `${source} device ${deviceId} is ${d.state}` };
    if (d.entityId === null) return { ok: false, reason: 'unknownDevice', detail: `${source} device ${deviceId} is bound to no entity` };
    return d.tookOverAt === null ? { ok: true, entityId: d.entityId, handover: true } : { ok: true, entityId: d.entityId };
  }

  accepted(source: IngestSource, deviceId: string, entityId: string, now: number): void {
    const d = this.byKey.get(key(source, deviceId));
    if (!d) return;
    d.accepted++;
    d.lastSeen = now;
    this.dirty.add(d);
    if (source !== 'sim' && d.tookOverAt === null) {
      // The first accepted report of a real device: from now on it, not the simulator, drives the entity.
      d.tookOverAt = now;
      this.repo.saveIdentity(d);
      this.drivenBy.set(entityId, d);
      this.emitTakeover(entityId, d);
    }
  }

  dropped(source: IngestSource, deviceId: string, reason: DropReason, detail: string, now: number): void {
    // A simulator that keeps reporting for a taken-over entity is not the device's fault.
    if (reason === 'takenOver') return;
    const d = this.byKey.get(key(source, deviceId));
    if (!d) return this.countUnattributed(source, reason);
    this.noteRefusal(d, reason, detail, now);
  }

  /** True when a real device drives the entity: the simulator skips it. */
  isReal(entityId: string): boolean {
    return this.drivenBy.has(entityId);
  }

  /** Called when an entity passes from the simulator to a real device (device set) or back (undefined). */
  onTakeover(listener: (entityId: string, device: DeviceRecord | undefined) => void): () => void {
    this.takeoverListeners.push(listener);
    return () => {
      const i = this.takeoverListeners.indexOf(listener);
      if (i >= 0) this.takeoverListeners.splice(i, 1);
    };
  }

  private emitTakeover(entityId: string, device: DeviceRecord | undefined): void {
    for (const l of this.takeoverListeners) {
      try { l(entityId, device); } catch { /* a listener's failure must not fail a report */ }
    }
  }

  // ---- the gateways' port ------------------------------------------------------------

  registerTerminal(req: TerminalRegistration, now: number): RegistrationResult {
    const existing = this.byKey.get(key(req.protocol, req.deviceId));
    if (existing) {
      this.noteIdentity(existing, req);
      switch (existing.state) {
        case 'rejected': return this.refuseRegistration(existing, 'rejected', `terminal ${req.deviceId} was rejected by an admin`, now);
        case 'disabled': return this.refuseRegistration(existing, 'disabled', `terminal ${req.deviceId} is disabled`, now);
        case 'quarantined':
          this.repo.saveIdentity(existing);
          return { outcome: 'quarantined', detail: `terminal ${req.deviceId} waits for an admin on the device page` };
        case 'active':
          if (existing.entityId === null) {
            this.repo.saveIdentity(existing);
            return { outcome: 'quarantined', detail: `terminal ${req.deviceId} is bound to no entity` };
          }
          return { outcome: 'accepted', entityId: existing.entityId, authCode: this.issueAuthCode(existing) };
      }
    }
    if (this.policy === 'closed') {
      this.countUnattributed(req.protocol, 'registrationClosed');
      return { outcome: 'refused', reason: 'closed', detail: 'registration is closed (JT808_REGISTRATION=closed): an admin adds terminals on the device page' };
    }
    const meta = terminalMeta(req);
    const plate = req.plate?.trim() || null;
    if (this.policy === 'quarantine') {
      this.insert({ protocol: req.protocol, deviceId: req.deviceId, entityId: null, label: null, state: 'quarantined', plate, meta, authHash: null, address: req.address, createdAt: now });
      return { outcome: 'quarantined', detail: `terminal ${req.deviceId} waits for an admin on the device page` };
    }
    const entityId = this.defaultEntityFor(req.protocol, req.deviceId, plate);
    if (!entityId.ok) {
      this.countUnattributed(req.protocol, 'plateTaken');
      return { outcome: 'refused', reason: 'plateTaken', detail: entityId.detail };
    }
    const d = this.insert({ protocol: req.protocol, deviceId: req.deviceId, entityId: entityId.entityId, label: null, state: 'active', plate, meta, authHash: null, address: req.address, createdAt: now });
    return { outcome: 'accepted', entityId: entityId.entityId, authCode: this.issueAuthCode(d) };
  }

  authenticate(protocol: DeviceProtocol, deviceId: string, authCode: string, now: number): AuthResult {
    const d = this.byKey.get(key(protocol, deviceId));
    const refuse = (reason: Exclude<AuthResult, { ok: true }>['reason'], detail: string): AuthResult => {
      if (d) this.noteRefusal(d, reason, detail, now); else this.countUnattributed(protocol, reason);
      return { ok: false, reason, detail };
    };
    if (!d) return refuse('unknownDevice', `no ${protocol} device ${deviceId} is registered`);
    if (d.state === 'disabled') return refuse('disabled', `device ${deviceId} is disabled`);
    if (d.state === 'quarantined') return refuse('quarantined', `device ${deviceId} waits for an admin`);
    if (d.state === 'rejected') return refuse('rejected', `device ${deviceId} was rejected`);
    if (d.authHash === null || !sameHash(d.authHash, hashCode(authCode))) return refuse('badAuthCode', `wrong auth code for device ${deviceId}`);
    if (d.entityId === null) return refuse('unknownDevice', `device ${deviceId} is bound to no entity`);
    return { ok: true, entityId: d.entityId };
  }

  connected(protocol: DeviceProtocol, deviceId: string, address: string, now: number): void {
    const d = this.byKey.get(key(protocol, deviceId));
    if (!d) return;
    d.connected = true;
    d.address = address;
    d.lastSeen = now;
    this.dirty.add(d);
  }

  disconnected(protocol: DeviceProtocol, deviceId: string, now: number): void {
    const d = this.byKey.get(key(protocol, deviceId));
    if (!d) return;
    d.connected = false;
    if (d.lastSeen === null || d.lastSeen < now) this.dirty.add(d);
  }

  refused(protocol: DeviceProtocol, deviceId: string | undefined, reason: string, detail: string, now: number): void {
    const d = deviceId === undefined ? undefined : this.byKey.get(key(protocol, deviceId));
    if (!d) return this.countUnattributed(protocol, reason);
    this.noteRefusal(d, reason, detail, now);
  }

  deviceFor(entityId: string, protocol: DeviceProtocol): string | undefined {
    for (const d of this.byId.values()) {
      if (d.entityId === entityId && d.protocol === protocol && d.state === 'active') return d.deviceId;
    }
    return undefined;
  }

  // ---- administration (the device page, the API) ----------------------------------

  get(id: number): DeviceRecord | undefined {
    return this.byId.get(id);
  }

  find(protocol: DeviceProtocol, deviceId: string): DeviceRecord | undefined {
    return this.byKey.get(key(protocol, deviceId));
  }

  all(): IterableIterator<DeviceRecord> {
    return this.byId.values();
  }

  /** The entity a real device drives, if any (the device list says who). */
  driverOf(entityId: string): DeviceRecord | undefined {
    return this.drivenBy.get(entityId);
  }

  /** A device an admin adds (an MQTT sensor, an HTTP device, a JT/T 808 terminal known in advance), bound at once. */
  create(protocol: Exclude<DeviceProtocol, 'sim'>, deviceId: string, bind: Binding, label: string | null): DeviceRecord {
    if (this.byKey.has(key(protocol, deviceId))) throw new HttpError(409, 'conflict', `${protocol} device ${deviceId} is already registered`);
    const entityId = this.bindingTarget(protocol, deviceId, bind, undefined);
    return this.insert({ protocol, deviceId, entityId, label, state: 'active', plate: null, meta: {}, authHash: null, address: null, createdAt: this.now() });
  }

  /** Accepts a quarantined terminal: bound as given, or as the open policy would (plate match, else a new vehicle). */
  accept(id: number, bind: Binding | undefined): DeviceRecord {
    const d = this.mustGet(id);
    if (d.state !== 'quarantined') throw new HttpError(409, 'conflict', `device ${id} is ${d.state}, not quarantined`);
    let entityId: string;
    if (bind) entityId = this.bindingTarget(d.protocol, d.deviceId, bind, d);
    else {
      const chosen = this.defaultEntityFor(d.protocol, d.deviceId, d.plate);
      if (!chosen.ok) throw new HttpError(409, 'conflict', chosen.detail);
      entityId = chosen.entityId;
    }
    d.entityId = entityId;
    d.state = 'active';
    this.repo.saveIdentity(d);
    return d;
  }

  reject(id: number): DeviceRecord {
    const d = this.mustGet(id);
    if (d.state !== 'quarantined') throw new HttpError(409, 'conflict', `device ${id} is ${d.state}, not quarantined`);
    d.state = 'rejected';
    d.authHash = null;
    this.repo.saveIdentity(d);
    return d;
  }

  bind(id: number, bind: Binding): DeviceRecord {
    const d = this.mustGet(id);
    if (d.protocol === 'sim') throw new HttpError(409, 'conflict', 'a simulator device stays with its pack entity');
    if (d.state === 'rejected' || d.state === 'quarantined') throw new HttpError(409, 'conflict', `device ${id} is ${d.state}: accept it first`);
    const entityId = this.bindingTarget(d.protocol, d.deviceId, bind, d);
    if (entityId === d.entityId) return d;
    const previous = d.entityId;
    d.entityId = entityId;
    // It drives its new entity from its next report, not before.
    d.tookOverAt = null;
    this.repo.saveIdentity(d);
    if (previous !== null) this.releaseIfDriver(previous, d);
    return d;
  }

  disable(id: number): DeviceRecord {
    const d = this.mustGet(id);
    if (d.state === 'disabled') return d;
    if (d.state !== 'active') throw new HttpError(409, 'conflict', `device ${id} is ${d.state}`);
    d.state = 'disabled';
    this.repo.saveIdentity(d);
    if (d.entityId !== null) this.releaseIfDriver(d.entityId, d);
    return d;
  }

  enable(id: number): DeviceRecord {
    const d = this.mustGet(id);
    if (d.state === 'active') return d;
    if (d.state !== 'disabled') throw new HttpError(409, 'conflict', `device ${id} is ${d.state}; accept or reject it`);
    if (d.entityId !== null && d.protocol !== 'sim') this.assertFree(d.entityId, d.protocol, d);
    d.state = 'active';
    // Back at the next report, like a new device.
    d.tookOverAt = null;
    this.repo.saveIdentity(d);
    return d;
  }

  remove(id: number): DeviceRecord {
    const d = this.mustGet(id);
    if (d.protocol === 'sim') throw new HttpError(409, 'conflict', 'a simulator device cannot be removed; disable it instead');
    this.repo.remove(id);
    this.byId.delete(id);
    this.byKey.delete(key(d.protocol, d.deviceId));
    this.dirty.delete(d);
    if (d.entityId !== null) this.releaseIfDriver(d.entityId, d);
    return d;
  }

  /** Writes the counters changed since the last call; returns how many devices were written. */
  flushCounters(): number {
    if (this.dirty.size === 0) return 0;
    const n = this.repo.saveCounters(this.dirty);
    this.dirty.clear();
    return n;
  }

  // ---- internals ----------------------------------------------------------------------

  private mustGet(id: number): DeviceRecord {
    const d = this.byId.get(id);
    if (!d) throw new HttpError(404, 'not_found', `no device ${id}`);
    return d;
  }

  private insert(row: Parameters<DevicesRepo['insert']>[0]): DeviceRecord {
    const d: DeviceRecord = { ...this.repo.insert(row), connected: false };
    this.remember(d);
    return d;
  }

  private issueAuthCode(d: DeviceRecord): string {
    // JT/T 808 puts the code in 0x8100 as a string; hex keeps it printable for every terminal.
    const code = randomBytes(12).toString('hex');
    d.authHash = hashCode(code);
    this.repo.saveIdentity(d);
    return code;
  }

  private noteIdentity(d: DeviceRecord, req: TerminalRegistration): void {
    d.meta = { ...d.meta, ...terminalMeta(req) };
    if (req.plate?.trim()) d.plate = req.plate.trim();
    d.address = req.address;
  }

  private refuseRegistration(d: DeviceRecord, reason: 'rejected' | 'disabled', detail: string, now: number): RegistrationResult {
    this.repo.saveIdentity(d);
    this.noteRefusal(d, `registration:${reason}`, detail, now);
    return { outcome: 'refused', reason, detail };
  }

  private noteRefusal(d: DeviceRecord, reason: string, detail: string, now: number): void {
    d.refused++;
    d.lastRefusal = { at: now, reason: reason.slice(0, 64), detail: detail.slice(0, 300) };
    this.dirty.add(d);
  }

  private countUnattributed(protocol: string, reason: string): void {
    // Reasons come from code, not from devices; the cap keeps a gateway's bug from growing this without end.
    const byReason = (this.unattributed[protocol] ??= {});
    if (!(reason in byReason) && Object.keys(byReason).length >= 64) reason = 'other';
    byReason[reason] = (byReason[reason] ?? 0) + 1;
  }

  /** Which entity a terminal gets without an admin's choice: the vehicle or muck truck with its plate, else a new vehicle. */
  private defaultEntityFor(protocol: DeviceProtocol, deviceId: string, plate: string | null): { ok: true; entityId: string } | { ok: false; detail: string } {
    if (plate) {
      const match = this.entityByPlate(normalisePlate(plate));
      if (match) {
        const other = this.activeDeviceOn(match.id, protocol, undefined);
        if (other) return { ok: false, detail: `plate ${plate} belongs to ${match.id}, which ${protocol} device ${other.deviceId} already reports for` };
        return { ok: true, entityId: match.id };
      }
    }
    return { ok: true, entityId: this.newEntityFor(protocol, deviceId, { kind: 'vehicle', name: plate ?? `${protocol.toUpperCase()} ${deviceId}`, ...(plate ? { plate } : {}) }) };
  }

  private bindingTarget(protocol: DeviceProtocol, deviceId: string, bind: Binding, self: DeviceRecord | undefined): string {
    let entityId: string;
    if ('entityId' in bind) {
      if (!this.live.get(bind.entityId)) throw new HttpError(404, 'not_found', `no entity ${bind.entityId}`);
      entityId = bind.entityId;
    } else if ('plate' in bind) {
      const match = this.entityByPlate(normalisePlate(bind.plate));
      if (!match) throw new HttpError(404, 'not_found', `no vehicle or muck truck with plate ${bind.plate}`);
      entityId = match.id;
    } else {
      entityId = this.newEntityFor(protocol, deviceId, bind.newEntity);
    }
    const kind = this.live.get(entityId)!.kind;
    if (protocol === 'jt808' && !MOBILE_KINDS.includes(kind)) throw new HttpError(400, 'bad_request', `a JT/T 808 terminal reports positions; ${entityId} is a ${kind}`);
    this.assertFree(entityId, protocol, self);
    return entityId;
  }

  private assertFree(entityId: string, protocol: DeviceProtocol, self: DeviceRecord | undefined): void {
    const other = this.activeDeviceOn(entityId, protocol, self);
    if (other) throw new HttpError(409, 'conflict', `${entityId} already has the ${protocol} device ${other.deviceId}`);
  }

  private activeDeviceOn(entityId: string, protocol: DeviceProtocol, self: DeviceRecord | undefined): DeviceRecord | undefined {
    for (const d of this.byId.values()) {
      if (d !== self && d.entityId === entityId && d.protocol === protocol && d.state === 'active') return d;
    }
    return undefined;
  }

  private entityByPlate(plate: string): AnyEntity | undefined {
    for (const e of this.live.all()) {
      if ((e.kind === 'vehicle' || e.kind === 'muckTruck') && normalisePlate(e.attrs.plate) === plate) return e;
    }
    return undefined;
  }

  /**
   * Makes a new entity for a device and adds it to the running district (and to the store, so
   * that it comes back after a restart). The id follows from the device, so a device removed
   * and registered again finds its entity.
   */
  private newEntityFor(protocol: DeviceProtocol, deviceId: string, spec: Parameters<typeof buildEntity>[1]): string {
    const id = `rt-${protocol}-${deviceId}`;
    if (this.live.get(id)) return id;
    const built = buildEntity(id, spec, this.place);
    if (!built.ok) throw new HttpError(400, 'bad_request', built.detail);
    const now = this.now();
    this.repo.insertRuntimeEntity(built.entity, now);
    this.live.addEntity(built.entity, now);
    return id;
  }

  /** When `d` drove `entityId`, the entity goes back to the simulator (or to another real device that drove it). */
  private releaseIfDriver(entityId: string, d: DeviceRecord): void {
    if (this.drivenBy.get(entityId) !== d) return;
    this.drivenBy.delete(entityId);
    for (const other of this.byId.values()) {
      if (other !== d && other.entityId === entityId && this.isDriving(other)) {
        this.drivenBy.set(entityId, other);
        return this.emitTakeover(entityId, other);
      }
    }
    this.emitTakeover(entityId, undefined);
  }
}

function terminalMeta(req: TerminalRegistration): Record<string, string> {
  const meta: Record<string, string> = {};
  if (req.manufacturer) meta.manufacturer = req.manufacturer;
  if (req.model) meta.model = req.model;
  if (req.terminalId) meta.terminalId = req.terminalId;
  if (req.plateColor !== undefined) meta.plateColor = String(req.plateColor);
  if (req.province !== undefined) meta.province = String(req.province);
  if (req.city !== undefined) meta.city = String(req.city);
  return meta;
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}


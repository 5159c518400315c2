/**
 * The device registry at run time: every device (the simulator's own, JT/T 808 terminals,
 * MQTT sensors, HTTP devices), which entity each reports for, its state and counters, and
 * which entities a real device has taken over from the simulator. It is what the gateways ask
 * (DevicePort), what the ingest resolves devices with (DeviceResolver), and what the device
 * page administers. All rows live in memory and the hot path (resolving a device, counting its
 * reports and refusals, authenticating it) never waits for the store. Writes go to the store
 * behind it, one at a time and in the order they were decided (a SerialWriter): a registration
 * or an admin's change is answered once its write committed, counters go in batches
 * (`flushCounters`, on a timer), first takeovers at the end of the event-loop turn.
 * Several nodes share one store: each write is announced by id (`onChanged`), and the other
 * nodes take the rows in with `refresh` (server/cluster/device-sync.ts).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { MOBILE_KINDS, type AnyEntity } from '../../shared/entities.ts';
import type { Binding, DeviceProtocol } from '../../shared/schemas/devices.ts';
import { HttpError } from '../http-error.ts';
import type { DeviceResolution, DeviceResolver, DropReason, IngestSource } from '../ingest/types.ts';
import type { LiveState } from '../live/live-state.ts';
import { SerialWriter } from '../store/sql/serial-writer.ts';
import { replay } from '../cluster/replaying.ts';
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

const hashCode = (code: string) => createHash('sha256').update(code).digest('hex');

export class DeviceDirectory implements DevicePort, DeviceResolver {
  policy: RegistrationPolicy;
  private readonly repo: DevicesRepo;
  private readonly live: LiveState;
  private readonly place: EntityPlacer;
  private readonly now: () => number;
  /** protocol → device id → device: the ingest looks a device up twice per report, so no composite string key is built for it. */
  private readonly byProtocol = new Map<string, Map<string, DeviceRecord>>();
  private readonly byId = new Map<number, DeviceRecord>();
  /** Entity → the devices bound to it (whatever their state), in id order: "who else reports for it" without a scan of every device. */
  private readonly onEntity = new Map<string, DeviceRecord[]>();
  /** Normalised plate → vehicles and muck trucks with it, in catalog order; rebuilt when an entity is added or a plate written (LiveState.plateWrites). */
  private plates: { size: number; writes: number; index: Map<string, AnyEntity[]> } | undefined;
  /** Entities a real device drives now → that device (the simulator leaves them alone). */
  private readonly drivenBy = new Map<string, DeviceRecord>();
  /** Devices whose counters changed since the last flush. */
  private readonly dirty = new Set<DeviceRecord>();
  /**
   * Takeovers to write at the end of this turn of the event loop: the first reports of many
   * devices arriving together (10,000 terminals coming online) cost one commit, not one each.
   */
  private readonly takeoversToSave = new Set<DeviceRecord>();
  private takeoverWrite: NodeJS.Immediate | undefined;
  /** Every write, and every decision that writes (registrations, the admin's changes), one at a time. */
  private readonly writer = new SerialWriter();
  readonly unattributed: UnattributedRefusals = {};
  private readonly takeoverListeners: ((entityId: string, device: DeviceRecord | undefined) => void)[] = [];
  private readonly changeListeners: ((ids: readonly number[]) => void)[] = [];

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
  async load(packEntityIds: readonly string[]): Promise<{ runtimeEntities: number; devices: number }> {
    const now = this.now();
    let runtimeEntities = 0;
    for (const { entity } of await this.repo.runtimeEntities()) {
      if (this.live.get(entity.id)) continue;
      this.live.addEntity(entity, now);
      runtimeEntities++;
    }
    await this.repo.ensureSimDevices(packEntityIds, now);
    for (const row of await this.repo.all()) this.remember({ ...row, connected: false });
    for (const d of this.byId.values()) if (this.isDriving(d)) this.drivenBy.set(d.entityId!, d);
    return { runtimeEntities, devices: this.byId.size };
  }

  private remember(d: DeviceRecord): void {
    let ofProtocol = this.byProtocol.get(d.protocol);
    if (!ofProtocol) this.byProtocol.set(d.protocol, (ofProtocol = new Map()));
    ofProtocol.set(d.deviceId, d);
    this.byId.set(d.id, d);
    this.attach(d);
  }

  /** Takes `d` out of every index but the drivers' (the caller releases its entity). */
  private forget(d: DeviceRecord): void {
    if (this.byId.get(d.id) === d) this.byId.delete(d.id);
    const ofProtocol = this.byProtocol.get(d.protocol);
    if (ofProtocol?.get(d.deviceId) === d) ofProtocol.delete(d.deviceId);
    this.detach(d);
    this.dirty.delete(d);
    this.takeoversToSave.delete(d);
  }

  private lookup(protocol: string, deviceId: string): DeviceRecord | undefined {
    return this.byProtocol.get(protocol)?.get(deviceId);
  }

  /** Files `d` under its entity (call after setting d.entityId). */
  private attach(d: DeviceRecord): void {
    if (d.entityId === null) return;
    const list = this.onEntity.get(d.entityId);
    if (!list) return void this.onEntity.set(d.entityId, [d]);
    let i = list.length;
    while (i > 0 && list[i - 1]!.id > d.id) i--;
    list.splice(i, 0, d);
  }

  /** Takes `d` off its entity's list (call before changing or clearing d.entityId). */
  private detach(d: DeviceRecord): void {
    if (d.entityId === null) return;
    const list = this.onEntity.get(d.entityId);
    const i = list ? list.indexOf(d) : -1;
    if (i < 0) return;
    list!.splice(i, 1);
    if (list!.length === 0) this.onEntity.delete(d.entityId);
  }

  private rebind(d: DeviceRecord, entityId: string | null): void {
    this.detach(d);
    d.entityId = entityId;
    this.attach(d);
  }

  private isDriving(d: DeviceRecord): boolean {
    return d.protocol !== 'sim' && d.state === 'active' && d.entityId !== null && d.tookOverAt !== null;
  }

  // ---- the ingest's view -------------------------------------------------------------

  resolve(source: IngestSource, deviceId: string): DeviceResolution {
    const d = this.lookup(source, deviceId);
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
    const d = this.lookup(source, deviceId);
    if (!d) return;
    d.accepted++;
    d.lastSeen = now;
    this.dirty.add(d);
    if (source !== 'sim' && d.tookOverAt === null) {
      // The first accepted report of a real device: from now on it, not the simulator, drives the entity.
      d.tookOverAt = now;
      this.saveTakeoverSoon(d);
      this.drivenBy.set(entityId, d);
      this.emitTakeover(entityId, d);
    }
  }

  dropped(source: IngestSource, deviceId: string, reason: DropReason, detail: string, now: number): void {
    // A simulator that keeps reporting for a taken-over entity is not the device's fault.
    if (reason === 'takenOver') return;
    const d = this.lookup(source, deviceId);
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

  // ---- the other nodes' changes (server/cluster/device-sync.ts) ------------------------

  /**
   * Called with the ids of the devices whose administrative state (state, binding, auth code,
   * takeover) this node has just written to the store: the cluster tells the other nodes.
   */
  onChanged(listener: (ids: readonly number[]) => void): () => void {
    this.changeListeners.push(listener);
    return () => {
      const i = this.changeListeners.indexOf(listener);
      if (i >= 0) this.changeListeners.splice(i, 1);
    };
  }

  /**
   * Takes in what another node wrote for these devices: their administrative fields from the
   * store, this node's counters, connection and last seen kept; a device gone from the store is
   * forgotten. In turn with this node's own writes, so a change of its own in flight is never
   * overwritten by the row read before it committed. Announces nothing (the other node did).
   */
  refresh(ids: readonly number[]): Promise<RefreshResult> {
    return this.writer.run(async () => {
      const wanted = new Set(ids);
      const rows = wanted.size === 0 ? [] : await this.repo.byIds([...wanted]);
      return this.merge(rows, wanted);
    });
  }

  /** refresh() of every device: after the messages of a Redis outage were missed. */
  refreshAll(): Promise<RefreshResult> {
    return this.writer.run(async () => {
      const rows = await this.repo.all();
      return this.merge(rows, new Set([...this.byId.keys(), ...rows.map((r) => r.id)]));
    });
  }

  private async merge(rows: readonly DeviceRow[], ids: ReadonlySet<number>): Promise<RefreshResult> {
    // A device bound on another node to an entity made there can arrive before that entity's
    // replication row (server/cluster/replication.ts): the store has it already.
    if (rows.some((r) => r.entityId !== null && !this.live.get(r.entityId))) await this.addStoredEntities();
    const result: RefreshResult = { changed: 0, added: 0, removed: 0 };
    const entities = new Set<string>();
    const found = new Set<number>();
    for (const row of rows) {
      found.add(row.id);
      let d = this.byId.get(row.id);
      if (d && (d.protocol !== row.protocol || d.deviceId !== row.deviceId)) {
        // SQLite may give a removed device's id to the next one.
        if (d.entityId !== null) entities.add(d.entityId);
        this.forget(d);
        result.removed++;
        d = undefined;
      }
      if (d) {
        if (d.entityId !== null) entities.add(d.entityId);
        if (this.takeIn(d, row)) result.changed++;
      } else {
        // The store keeps (protocol, device id) unique: a local row under another id was removed there.
        const stale = this.lookup(row.protocol, row.deviceId);
        if (stale) { if (stale.entityId !== null) entities.add(stale.entityId); this.forget(stale); result.removed++; }
        this.remember({ ...row, connected: false });
        result.added++;
      }
      if (row.entityId !== null) entities.add(row.entityId);
    }
    for (const id of ids) {
      const d = found.has(id) ? undefined : this.byId.get(id);
      if (!d) continue;
      if (d.entityId !== null) entities.add(d.entityId);
      this.forget(d);
      result.removed++;
    }
    for (const entityId of entities) this.decideDriver(entityId);
    return result;
  }

  /** Copies the administrative fields of `row` into `d`; true when one changed. */
  private takeIn(d: DeviceRecord, row: DeviceRow): boolean {
    let tookOverAt = row.tookOverAt;
    // Its first report here took the entity over a moment ago and the write is still queued: the store does not know yet.
    if (this.takeoversToSave.has(d)) {
      if (tookOverAt === null && row.state === 'active' && row.entityId === d.entityId) tookOverAt = d.tookOverAt;
      else this.takeoversToSave.delete(d);
    }
    const changed = d.state !== row.state || d.entityId !== row.entityId || d.tookOverAt !== tookOverAt || d.authHash !== row.authHash
      || d.label !== row.label || d.plate !== row.plate || JSON.stringify(d.meta) !== JSON.stringify(row.meta);
    if (d.entityId !== row.entityId) this.rebind(d, row.entityId);
    d.state = row.state;
    d.tookOverAt = tookOverAt;
    d.authHash = row.authHash;
    d.label = row.label;
    d.plate = row.plate;
    d.meta = row.meta;
    // The node holding the session knows the terminal's address.
    if (!d.connected) d.address = row.address;
    return changed;
  }

  /** Who drives `entityId` now that its devices changed; the takeover listeners hear of a change. */
  private decideDriver(entityId: string): void {
    const current = this.drivenBy.get(entityId);
    if (current && this.byId.get(current.id) === current && current.entityId === entityId && this.isDriving(current)) return;
    const next = this.onEntity.get(entityId)?.find((d) => this.isDriving(d));
    if (next === current) return;
    if (next) this.drivenBy.set(entityId, next); else this.drivenBy.delete(entityId);
    this.emitTakeover(entityId, next);
  }

  private async addStoredEntities(): Promise<void> {
    const at = this.now();
    for (const { entity } of await this.repo.runtimeEntities()) {
      // The node that made it publishes it: added as a replicated entity, it is not published again.
      if (!this.live.get(entity.id)) replay(this.live, () => this.live.addEntity(entity, at));
    }
  }

  // ---- the gateways' port ------------------------------------------------------------

  registerTerminal(req: TerminalRegistration, now: number): Promise<RegistrationResult> {
    // In turn: two registrations of one terminal, or of two with one plate, decide one after the other.
    return this.writer.run(() => this.register(req, now));
  }

  private async register(req: TerminalRegistration, now: number): Promise<RegistrationResult> {
    const existing = this.lookup(req.protocol, req.deviceId);
    if (existing) {
      this.noteIdentity(existing, req);
      switch (existing.state) {
        case 'rejected': return this.refuseRegistration(existing, 'rejected', `terminal ${req.deviceId} was rejected by an admin`, now);
        case 'disabled': return this.refuseRegistration(existing, 'disabled', `terminal ${req.deviceId} is disabled`, now);
        case 'quarantined':
          await this.saveIdentities([existing]);
          return { outcome: 'quarantined', detail: `terminal ${req.deviceId} waits for an admin on the device page` };
        case 'active':
          if (existing.entityId === null) {
            await this.saveIdentities([existing]);
            return { outcome: 'quarantined', detail: `terminal ${req.deviceId} is bound to no entity` };
          }
          return { outcome: 'accepted', entityId: existing.entityId, authCode: await this.issueAuthCode(existing) };
      }
    }
    if (this.policy === 'closed') {
      this.countUnattributed(req.protocol, 'registrationClosed');
      return { outcome: 'refused', reason: 'closed', detail: 'registration is closed (JT808_REGISTRATION=closed): an admin adds terminals on the device page' };
    }
    const meta = terminalMeta(req);
    const plate = req.plate?.trim() || null;
    if (this.policy === 'quarantine') {
      await this.insert({ protocol: req.protocol, deviceId: req.deviceId, entityId: null, label: null, state: 'quarantined', plate, meta, authHash: null, address: req.address, createdAt: now }, undefined);
      return { outcome: 'quarantined', detail: `terminal ${req.deviceId} waits for an admin on the device page` };
    }
    const target = this.defaultEntityFor(req.protocol, req.deviceId, plate);
    if (!target.ok) {
      this.countUnattributed(req.protocol, 'plateTaken');
      return { outcome: 'refused', reason: 'plateTaken', detail: target.detail };
    }
    // The row carries its auth code's hash from the start, and goes in with the entity made for
    // it: one transaction, committed before the gateway answers 0x8100.
    const code = newAuthCode();
    await this.insert({ protocol: req.protocol, deviceId: req.deviceId, entityId: target.entityId, label: null, state: 'active', plate, meta, authHash: hashCode(code), address: req.address, createdAt: now }, target.newEntity);
    return { outcome: 'accepted', entityId: target.entityId, authCode: code };
  }

  authenticate(protocol: DeviceProtocol, deviceId: string, authCode: string, now: number): AuthResult {
    const d = this.lookup(protocol, deviceId);
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
    const d = this.lookup(protocol, deviceId);
    if (!d) return;
    d.connected = true;
    d.address = address;
    d.lastSeen = now;
    this.dirty.add(d);
  }

  disconnected(protocol: DeviceProtocol, deviceId: string, now: number): void {
    const d = this.lookup(protocol, deviceId);
    if (!d) return;
    d.connected = false;
    if (d.lastSeen === null || d.lastSeen < now) this.dirty.add(d);
  }

  refused(protocol: DeviceProtocol, deviceId: string | undefined, reason: string, detail: string, now: number): void {
    const d = deviceId === undefined ? undefined : this.lookup(protocol, deviceId);
    if (!d) return this.countUnattributed(protocol, reason);
    this.noteRefusal(d, reason, detail, now);
  }

  deviceFor(entityId: string, protocol: DeviceProtocol): string | undefined {
    return this.activeDeviceOn(entityId, protocol, undefined)?.deviceId;
  }

  // ---- administration (the device page, the API) ----------------------------------

  get(id: number): DeviceRecord | undefined {
    return this.byId.get(id);
  }

  find(protocol: DeviceProtocol, deviceId: string): DeviceRecord | undefined {
    return this.lookup(protocol, deviceId);
  }

  all(): IterableIterator<DeviceRecord> {
    return this.byId.values();
  }

  /** The entity a real device drives, if any (the device list says who). */
  driverOf(entityId: string): DeviceRecord | undefined {
    return this.drivenBy.get(entityId);
  }

  /** A device an admin adds (an MQTT sensor, an HTTP device, a JT/T 808 terminal known in advance), bound at once. */
  create(protocol: Exclude<DeviceProtocol, 'sim'>, deviceId: string, bind: Binding, label: string | null): Promise<DeviceRecord> {
    return this.writer.run(async () => {
      if (this.lookup(protocol, deviceId)) throw new HttpError(409, 'conflict', `${protocol} device ${deviceId} is already registered`);
      const target = this.bindingTarget(protocol, deviceId, bind, undefined);
      return this.insert({ protocol, deviceId, entityId: target.entityId, label, state: 'active', plate: null, meta: {}, authHash: null, address: null, createdAt: this.now() }, target.newEntity);
    });
  }

  /** Accepts a quarantined terminal: bound as given, or as the open policy would (plate match, else a new vehicle). */
  accept(id: number, bind: Binding | undefined): Promise<DeviceRecord> {
    return this.writer.run(() => this.acceptNow(id, bind));
  }

  private async acceptNow(id: number, bind: Binding | undefined): Promise<DeviceRecord> {
    const d = this.mustGet(id);
    if (d.state !== 'quarantined') throw new HttpError(409, 'conflict', `device ${id} is ${d.state}, not quarantined`);
    let target: EntityTarget;
    if (bind) target = this.bindingTarget(d.protocol, d.deviceId, bind, d);
    else {
      const chosen = this.defaultEntityFor(d.protocol, d.deviceId, d.plate);
      if (!chosen.ok) throw new HttpError(409, 'conflict', chosen.detail);
      target = chosen;
    }
    await this.saveBinding(d, target, () => { d.state = 'active'; });
    return d;
  }

  reject(id: number): Promise<DeviceRecord> {
    return this.writer.run(async () => {
      const d = this.mustGet(id);
      if (d.state !== 'quarantined') throw new HttpError(409, 'conflict', `device ${id} is ${d.state}, not quarantined`);
      d.state = 'rejected';
      d.authHash = null;
      await this.saveIdentities([d]);
      return d;
    });
  }

  bind(id: number, bind: Binding): Promise<DeviceRecord> {
    return this.writer.run(() => this.bindNow(id, bind));
  }

  private async bindNow(id: number, bind: Binding): Promise<DeviceRecord> {
    const d = this.mustGet(id);
    if (d.protocol === 'sim') throw new HttpError(409, 'conflict', 'a simulator device stays with its pack entity');
    if (d.state === 'rejected' || d.state === 'quarantined') throw new HttpError(409, 'conflict', `device ${id} is ${d.state}: accept it first`);
    const target = this.bindingTarget(d.protocol, d.deviceId, bind, d);
    if (target.entityId === d.entityId) return d;
    const previous = d.entityId;
    // It drives its new entity from its next report, not before.
    await this.saveBinding(d, target, () => { d.tookOverAt = null; });
    if (previous !== null) this.releaseIfDriver(previous, d);
    return d;
  }

  disable(id: number): Promise<DeviceRecord> {
    return this.writer.run(async () => {
      const d = this.mustGet(id);
      if (d.state === 'disabled') return d;
      if (d.state !== 'active') throw new HttpError(409, 'conflict', `device ${id} is ${d.state}`);
      d.state = 'disabled';
      await this.saveIdentities([d]);
      if (d.entityId !== null) this.releaseIfDriver(d.entityId, d);
      return d;
    });
  }

  enable(id: number): Promise<DeviceRecord> {
    return this.writer.run(async () => {
      const d = this.mustGet(id);
      if (d.state === 'active') return d;
      if (d.state !== 'disabled') throw new HttpError(409, 'conflict', `device ${id} is ${d.state}; accept or reject it`);
      if (d.entityId !== null && d.protocol !== 'sim') this.assertFree(d.entityId, d.protocol, d);
      d.state = 'active';
      // Back at the next report, like a new device.
      d.tookOverAt = null;
      await this.saveIdentities([d]);
      return d;
    });
  }

  remove(id: number): Promise<DeviceRecord> {
    return this.writer.run(async () => {
      const d = this.mustGet(id);
      if (d.protocol === 'sim') throw new HttpError(409, 'conflict', 'a simulator device cannot be removed; disable it instead');
      await this.repo.remove(id);
      this.forget(d);
      if (d.entityId !== null) this.releaseIfDriver(d.entityId, d);
      this.announce([id]);
      return d;
    });
  }

  /** Writes the takeovers of this tick in one transaction, in turn; resolves to how many. Rejects when the store fails, keeping them for the next call. */
  flushTakeovers(): Promise<number> {
    return this.writer.run(() => this.writeTakeovers());
  }

  private async writeTakeovers(): Promise<number> {
    if (this.takeoversToSave.size === 0) return 0;
    const batch = [...this.takeoversToSave];
    this.takeoversToSave.clear();
    try {
      await this.saveIdentities(batch);
    } catch (err) {
      for (const d of batch) if (this.byId.get(d.id) === d) this.takeoversToSave.add(d);
      throw err;
    }
    return batch.length;
  }

  private saveTakeoverSoon(d: DeviceRecord): void {
    this.takeoversToSave.add(d);
    this.takeoverWrite ??= setImmediate(() => {
      this.takeoverWrite = undefined;
      // A failed write keeps them: flushCounters (a guarded timer, and on close) writes them and reports the failure.
      this.flushTakeovers().catch(() => { /* retried by flushCounters */ });
    });
  }

  /**
   * Writes the takeovers not written yet, then the counters changed since the last call, in turn;
   * resolves to how many devices had counters written. Rejects when the store fails, keeping them.
   */
  flushCounters(): Promise<number> {
    return this.writer.run(async () => {
      await this.writeTakeovers();
      if (this.dirty.size === 0) return 0;
      // Reports keep counting during the commit: those mark their devices dirty again for the next flush.
      const batch = [...this.dirty];
      this.dirty.clear();
      try {
        return await this.repo.saveCounters(batch);
      } catch (err) {
        for (const d of batch) if (this.byId.get(d.id) === d) this.dirty.add(d);
        throw err;
      }
    });
  }

  /** Settles once every write queued so far has (closing, tests). */
  settle(): Promise<void> {
    return this.writer.drain();
  }

  // ---- internals ----------------------------------------------------------------------

  private mustGet(id: number): DeviceRecord {
    const d = this.byId.get(id);
    if (!d) throw new HttpError(404, 'not_found', `no device ${id}`);
    return d;
  }

  /**
   * Stores a new device and, when its binding made one, the new entity, in one transaction;
   * only once that committed do both enter memory, so a failed write leaves no entity the store
   * does not know.
   */
  private async insert(row: Parameters<DevicesRepo['insert']>[0], newEntity: AnyEntity | undefined): Promise<DeviceRecord> {
    const at = this.now();
    const stored = await this.repo.insert(row, newEntity, at);
    if (newEntity) this.live.addEntity(newEntity, at);
    const d: DeviceRecord = { ...stored, connected: false };
    this.remember(d);
    this.announce([d.id]);
    return d;
  }

  /** Binds an existing device to its target (and whatever else `change` sets on it), the new entity and the row in one transaction. */
  private async saveBinding(d: DeviceRecord, target: EntityTarget, change: () => void): Promise<void> {
    const before = { entityId: d.entityId, state: d.state, tookOverAt: d.tookOverAt };
    const at = this.now();
    this.detach(d);
    d.entityId = target.entityId;
    change();
    try {
      await this.repo.saveBinding(d, target.newEntity, at);
    } catch (err) {
      Object.assign(d, before);
      this.attach(d);
      throw err;
    }
    this.attach(d);
    if (target.newEntity) this.live.addEntity(target.newEntity, at);
    this.announce([d.id]);
  }

  /** Writes what an admin or a registration decided, then tells the other nodes which devices changed. */
  private async saveIdentities(rows: readonly DeviceRecord[]): Promise<void> {
    await this.repo.saveIdentities(rows);
    this.announce(rows.map((d) => d.id));
  }

  private announce(ids: readonly number[]): void {
    for (const l of this.changeListeners) {
      try { l(ids); } catch { /* a listener's failure must not fail a write that committed */ }
    }
  }

  private async issueAuthCode(d: DeviceRecord): Promise<string> {
    const code = newAuthCode();
    d.authHash = hashCode(code);
    await this.saveIdentities([d]);
    return code;
  }

  private noteIdentity(d: DeviceRecord, req: TerminalRegistration): void {
    d.meta = { ...d.meta, ...terminalMeta(req) };
    if (req.plate?.trim()) d.plate = req.plate.trim();
    d.address = req.address;
  }

  private async refuseRegistration(d: DeviceRecord, reason: 'rejected' | 'disabled', detail: string, now: number): Promise<RegistrationResult> {
    await this.saveIdentities([d]);
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
  private defaultEntityFor(protocol: DeviceProtocol, deviceId: string, plate: string | null): (EntityTarget & { ok: true }) | { ok: false; detail: string } {
    if (plate) {
      const match = this.entityByPlate(normalisePlate(plate));
      if (match) {
        const other = this.activeDeviceOn(match.id, protocol, undefined);
        if (other) return { ok: false, detail: `plate ${plate} belongs to ${match.id}, which ${protocol} device ${other.deviceId} already reports for` };
        return { ok: true, entityId: match.id };
      }
    }
    return { ok: true, ...this.newEntityFor(protocol, deviceId, { kind: 'vehicle', name: plate ?? `${protocol.toUpperCase()} ${deviceId}`, ...(plate ? { plate } : {}) }) };
  }

  private bindingTarget(protocol: DeviceProtocol, deviceId: string, bind: Binding, self: DeviceRecord | undefined): EntityTarget {
    let target: EntityTarget;
    if ('entityId' in bind) {
      if (!this.live.get(bind.entityId)) throw new HttpError(404, 'not_found', `no entity ${bind.entityId}`);
      target = { entityId: bind.entityId };
    } else if ('plate' in bind) {
      const match = this.entityByPlate(normalisePlate(bind.plate));
      if (!match) throw new HttpError(404, 'not_found', `no vehicle or muck truck with plate ${bind.plate}`);
      target = { entityId: match.id };
    } else {
      target = this.newEntityFor(protocol, deviceId, bind.newEntity);
    }
    const kind = (target.newEntity ?? this.live.get(target.entityId)!).kind;
    if (protocol === 'jt808' && !MOBILE_KINDS.includes(kind)) throw new HttpError(400, 'bad_request', `a JT/T 808 terminal reports positions; ${target.entityId} is a ${kind}`);
    this.assertFree(target.entityId, protocol, self);
    return target;
  }

  private assertFree(entityId: string, protocol: DeviceProtocol, self: DeviceRecord | undefined): void {
    const other = this.activeDeviceOn(entityId, protocol, self);
    if (other) throw new HttpError(409, 'conflict', `${entityId} already has the ${protocol} device ${other.deviceId}`);
  }

  private activeDeviceOn(entityId: string, protocol: DeviceProtocol, self: DeviceRecord | undefined): DeviceRecord | undefined {
    for (const d of this.onEntity.get(entityId) ?? []) {
      if (d !== self && d.protocol === protocol && d.state === 'active') return d;
    }
    return undefined;
  }

  private entityByPlate(plate: string): AnyEntity | undefined {
    const live = this.live;
    // Entities are only ever appended: new ones are indexed as they come; a plate written by a report re-indexes all.
    if (!this.plates || this.plates.writes !== live.plateWrites) this.plates = { size: 0, writes: live.plateWrites, index: new Map() };
    const { index } = this.plates;
    const all = live.all();
    for (let i = this.plates.size; i < all.length; i++) {
      const e = all[i]!;
      if (e.kind !== 'vehicle' && e.kind !== 'muckTruck') continue;
      const p = normalisePlate(e.attrs.plate);
      const list = index.get(p);
      if (list) list.push(e); else index.set(p, [e]);
    }
    this.plates.size = all.length;
    return index.get(plate)?.[0];
  }

  /**
   * Makes a new entity for a device and adds it to the running district (and to the store, so
   * that it comes back after a restart). The id follows from the device, so a device removed
   * and registered again finds its entity.
   */
  private newEntityFor(protocol: DeviceProtocol, deviceId: string, spec: Parameters<typeof buildEntity>[1]): EntityTarget {
    const id = `rt-${protocol}-${deviceId}`;
    if (this.live.get(id)) return { entityId: id };
    const built = buildEntity(id, spec, this.place);
    if (!built.ok) throw new HttpError(400, 'bad_request', built.detail);
    return { entityId: id, newEntity: built.entity };
  }

  /** When `d` drove `entityId`, the entity goes back to the simulator (or to another real device that drove it). */
  private releaseIfDriver(entityId: string, d: DeviceRecord): void {
    if (this.drivenBy.get(entityId) !== d) return;
    this.drivenBy.delete(entityId);
    for (const other of this.onEntity.get(entityId) ?? []) {
      if (other !== d && this.isDriving(other)) {
        this.drivenBy.set(entityId, other);
        return this.emitTakeover(entityId, other);
      }
    }
    this.emitTakeover(entityId, undefined);
  }
}

/** JT/T 808 puts the code in 0x8100 as a string; hex keeps it printable for every terminal. */
const newAuthCode = (): string => randomBytes(12).toString('hex');

/** What a refresh took in: devices whose fields changed, devices new here, devices forgotten. */
export interface RefreshResult { changed: number; added: number; removed: number }

/** The entity a device is to be bound to; `newEntity` when it has to be made (stored and added with the binding). */
interface EntityTarget { entityId: string; newEntity?: AnyEntity }

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


/**
 * The field phone's outbox against a fake server that applies actions as the real one does
 * (stages, one enRoute, photos deduplicated by key) and can lose its answer after applying:
 * order, offline backoff, reload, "already done" recognised, real conflicts surfaced, photos
 * once, the session ending. Plus the deadline and photo-size helpers of the page.
 */
import { describe, expect, it } from 'vitest';
import type { CaseDetail, CaseRequest, TimelineEntry } from '../../shared/cases.ts';
import type { SlaClock } from '../../shared/sla.ts';
import {
  ActionQueue, alreadyApplied, backoffMs, type CaseLookup, type FieldAction, type FieldTransport, type QueueStorage, type Scheduler, type SendResult,
} from '../../client/field/action-queue.ts';
import { taskDeadline } from '../../client/field/task-deadline.ts';
import { fitWithin } from '../../client/field/photo-resize.ts';

const UNIT = 'staff-0001';
const USER = 'wangfang';

/** Time that moves only when the test says so; timers fire in due order. */
class ManualScheduler implements Scheduler {
  t = 1_000_000;
  private timers: { at: number; fn: () => void; live: boolean }[] = [];
  now(): number { return this.t; }
  later(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return () => { timer.live = false; };
  }
  pendingDelays(): number[] { return this.timers.filter((x) => x.live).map((x) => x.at - this.t); }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const next = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.t = next.at;
      next.live = false;
      next.fn();
      await settle();
    }
    this.t = end;
  }
}

const settle = async () => { for (let i = 0; i < 20; i++) await Promise.resolve(); };

class MemoryStorage implements QueueStorage {
  value: string | null = null;
  full = false;
  load(): string | null { return this.value; }
  save(v: string): void {
    if (this.full) throw new Error('QuotaExceededError');
    this.value = v;
  }
}

/** A case on the fake server: its stage, timeline, requests and photos. */
interface FakeCase { stage: string; timeline: TimelineEntry[]; requests: CaseRequest[]; photos: Map<string, string> }

class FakeServer implements FieldTransport {
  readonly cases = new Map<number, FakeCase>();
  online = true;
  /** The next send is applied but its answer never arrives. */
  loseNextAnswer = false;
  /** Every request that reached the server: `accept 7`, `photo 7 k1`… */
  readonly received: string[] = [];
  failNextWith: SendResult | null = null;
  private nextId = 1;

  constructor(private readonly clock: ManualScheduler) {}

  dispatch(caseId: number, unitId: string, action: 'dispatch' | 'reassign' = 'dispatch'): void {
    const c = this.cases.get(caseId) ?? { stage: 'registered', timeline: [], requests: [], photos: new Map() };
    c.stage = 'dispatched';
    this.cases.set(caseId, c);
    this.entry(caseId, action, 'disp', { unitId });
  }

  private entry(caseId: number, action: TimelineEntry['action'], actor: string, data: Record<string, unknown>): void {
    this.cases.get(caseId)!.timeline.push({ id: this.nextId++, caseId, ts: this.clock.now(), actor, actorRole: 'field', action, fromStage: null, toStage: null, note: null, data });
  }

  private assignedTo(caseId: number): string | undefined {
    return [...this.cases.get(caseId)!.timeline].reverse().find((e) => e.action === 'dispatch' || e.action === 'reassign')?.data?.unitId as string | undefined;
  }

  async send(a: FieldAction, photoIds: Readonly<Record<string, string>>): Promise<SendResult> {
    if (!this.online) return { ok: false, network: true };
    if (this.failNextWith) {
      const r = this.failNextWith;
      this.failNextWith = null;
      return r;
    }
    this.received.push(`${a.kind} ${a.caseId}${a.kind === 'photo' ? ` ${a.key}` : ''}`);
    const c = this.cases.get(a.caseId)!;
    const refuse = (status: number, code: string, message: string): SendResult => ({ ok: false, network: false, status, code, message });
    if (this.assignedTo(a.caseId) !== a.unitId) return refuse(403, 'forbidden', `unit ${a.unitId} is not the unit assigned to this case`);
    let result: SendResult;
    switch (a.kind) {
      case 'accept':
        if (c.stage !== 'dispatched') return refuse(409, 'invalid_transition', `cannot accept a case in stage ${c.stage}`);
        c.stage = 'handling';
        this.entry(a.caseId, 'accept', USER, { unitId: a.unitId });
        result = { ok: true };
        break;
      case 'enRoute':
        if (c.timeline.some((e) => e.action === 'enRoute')) return refuse(409, 'invalid_transition', 'already on its way');
        c.stage = 'handling';
        this.entry(a.caseId, 'enRoute', USER, { unitId: a.unitId });
        result = { ok: true };
        break;
      case 'photo': {
        const id = c.photos.get(a.key) ?? `photo-${this.nextId++}`;
        c.photos.set(a.key, id);
        result = { ok: true, photoId: id };
        break;
      }
      case 'done': {
        if (c.stage !== 'handling') return refuse(409, 'invalid_transition', `cannot feedback a case in stage ${c.stage}`);
        c.stage = 'fedBack';
        this.entry(a.caseId, 'feedback', USER, { unitId: a.unitId, photoIds: a.photoKeys.map((k) => photoIds[k]) });
        result = { ok: true };
        break;
      }
      case 'sendBack':
        if (c.requests.some((r) => r.state === 'pending')) return refuse(409, 'invalid_transition', 'request already pending');
        c.requests.push({ id: c.requests.length + 1, caseId: a.caseId, kind: 'sendBack', reason: a.reason, days: null, requestedBy: USER, requestedTs: this.clock.now(), state: 'pending', decidedBy: null, decidedTs: null });
        result = { ok: true };
        break;
    }
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      return { ok: false, network: true };
    }
    return result;
  }

  async caseDetail(caseId: number): Promise<CaseLookup> {
    if (!this.online) return { ok: false, network: true };
    const c = this.cases.get(caseId);
    if (!c) return { ok: false, network: false };
    return { ok: true, detail: { id: caseId, stage: c.stage, timeline: [...c.timeline], requests: [...c.requests] } as unknown as CaseDetail };
  }

  count(kind: string, caseId: number): number {
    return this.received.filter((r) => r.startsWith(`${kind} ${caseId}`)).length;
  }
}

function setup() {
  const clock = new ManualScheduler();
  const server = new FakeServer(clock);
  const storage = new MemoryStorage();
  const queue = new ActionQueue(server, storage, clock, USER);
  return { clock, server, storage, queue };
}

const act = {
  accept: (caseId: number): FieldAction => ({ kind: 'accept', unitId: UNIT, caseId }),
  enRoute: (caseId: number): FieldAction => ({ kind: 'enRoute', unitId: UNIT, caseId }),
  photo: (caseId: number, key: string): FieldAction => ({ kind: 'photo', unitId: UNIT, caseId, key, dataUrl: 'data:image/jpeg;base64,/9j/AA==' }),
  done: (caseId: number, keys: string[]): FieldAction => ({ kind: 'done', unitId: UNIT, caseId, note: '已清理', photoKeys: keys }),
};

describe('the field outbox', () => {
  it('sends actions in the order they were tapped and empties', async () => {
    const { server, queue } = setup();
    server.dispatch(7, UNIT);
    for (const a of [act.accept(7), act.enRoute(7), act.photo(7, 'k1'), act.done(7, ['k1'])]) queue.enqueue(a);
    await settle();
    expect(server.received).toEqual(['accept 7', 'enRoute 7', 'photo 7 k1', 'done 7']);
    expect(queue.state()).toMatchObject({ items: [], failed: [], sentCount: 4, offline: false });
    const feedback = server.cases.get(7)!.timeline.find((e) => e.action === 'feedback')!;
    expect(feedback.data).toEqual({ unitId: UNIT, photoIds: [server.cases.get(7)!.photos.get('k1')] });
  });

  it('waits offline with growing backoff, says so, and sends once when back', async () => {
    const { server, queue, clock } = setup();
    server.dispatch(7, UNIT);
    server.online = false;
    queue.enqueue(act.accept(7));
    queue.enqueue(act.enRoute(7));
    await settle();
    expect(queue.state()).toMatchObject({ offline: true, sending: false });
    expect(queue.state().items).toHaveLength(2);
    expect(clock.pendingDelays()).toEqual([2000]);
    await clock.advance(2000);
    expect(clock.pendingDelays()).toEqual([4000]);
    await clock.advance(4000);
    expect(clock.pendingDelays()).toEqual([8000]);
    expect(server.received).toEqual([]);

    server.online = true;
    await clock.advance(8000);
    expect(server.received).toEqual(['accept 7', 'enRoute 7']);
    expect(queue.state()).toMatchObject({ items: [], offline: false, sentCount: 2 });
    expect(server.cases.get(7)!.timeline.filter((e) => e.action === 'accept')).toHaveLength(1);
  });

  it('backoff doubles from 2 s and stops at a minute', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 12].map(backoffMs)).toEqual([2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
  });

  it('kick() tries at once when the network comes back, without waiting out the backoff', async () => {
    const { server, queue } = setup();
    server.dispatch(7, UNIT);
    server.online = false;
    queue.enqueue(act.accept(7));
    await settle();
    server.online = true;
    queue.kick();
    await settle();
    expect(server.received).toEqual(['accept 7']);
    expect(queue.state().items).toEqual([]);
  });

  it('keeps the queue across a reload and finishes it there', async () => {
    const { server, queue, storage, clock } = setup();
    server.dispatch(7, UNIT);
    server.online = false;
    queue.enqueue(act.accept(7));
    queue.enqueue(act.photo(7, 'k1'));
    queue.enqueue(act.done(7, ['k1']));
    await settle();
    queue.dispose();

    server.online = true;
    const reloaded = new ActionQueue(server, storage, clock, USER);
    expect(reloaded.state().items.map((i) => i.action.kind)).toEqual(['accept', 'photo', 'done']);
    reloaded.kick();
    await settle();
    expect(server.received).toEqual(['accept 7', 'photo 7 k1', 'done 7']);
    expect(server.cases.get(7)!.stage).toBe('fedBack');
    expect(JSON.parse(storage.value!).items).toEqual([]);
  });

  it('recognises a step whose answer was lost as done, and never sends it twice', async () => {
    const { server, queue, clock } = setup();
    server.dispatch(7, UNIT);
    server.loseNextAnswer = true;
    queue.enqueue(act.enRoute(7));
    await settle();
    // applied on the server, but the phone does not know
    expect(server.cases.get(7)!.timeline.filter((e) => e.action === 'enRoute')).toHaveLength(1);
    expect(queue.state().items).toHaveLength(1);
    await clock.advance(2000);
    expect(server.count('enRoute', 7)).toBe(1);
    expect(queue.state()).toMatchObject({ items: [], failed: [], sentCount: 1 });
  });

  it('treats a 409 for a step already taken by this unit as done (accept sent from two tabs)', async () => {
    const { server, queue } = setup();
    server.dispatch(7, UNIT);
    queue.enqueue(act.accept(7));
    queue.enqueue(act.accept(7));
    await settle();
    expect(server.count('accept', 7)).toBe(2);
    expect(queue.state()).toMatchObject({ items: [], failed: [], sentCount: 2 });
  });

  it('surfaces a real conflict — the task was reassigned — and skips that task\'s later steps, not other tasks', async () => {
    const { server, queue } = setup();
    server.dispatch(7, UNIT);
    server.dispatch(8, UNIT);
    server.dispatch(7, 'staff-0099', 'reassign');
    server.online = false;
    queue.enqueue(act.accept(7));
    queue.enqueue(act.done(7, []));
    queue.enqueue(act.accept(8));
    await settle();
    server.online = true;
    queue.kick();
    await settle();
    const s = queue.state();
    expect(s.items).toEqual([]);
    expect(s.failed.map((f) => [f.action.kind, f.action.caseId, f.status, f.code])).toEqual([['accept', 7, 403, 'forbidden'], ['done', 7, 0, 'skipped']]);
    expect(s.failed[0]!.message).toContain('not the unit assigned');
    expect(server.received).toEqual(['accept 7', 'accept 8']);
    queue.dismiss(s.failed[0]!.id);
    expect(queue.state().failed.map((f) => f.action.kind)).toEqual(['done']);
  });

  it('a 409 that is not "already done" is a conflict: done on a case that was never started', async () => {
    const { server, queue } = setup();
    server.dispatch(7, UNIT);
    queue.enqueue(act.done(7, []));
    await settle();
    expect(queue.state().failed).toEqual([expect.objectContaining({ status: 409, code: 'invalid_transition' })]);
    expect(server.cases.get(7)!.stage).toBe('dispatched');
  });

  it('re-sends a photo whose answer was lost with the same key: one photo on the server, and done names it', async () => {
    const { server, queue, clock } = setup();
    server.dispatch(7, UNIT);
    server.cases.get(7)!.stage = 'handling';
    server.loseNextAnswer = true;
    queue.enqueue(act.photo(7, 'k1'));
    queue.enqueue(act.done(7, ['k1']));
    await settle();
    await clock.advance(2000);
    expect(server.received).toEqual(['photo 7 k1', 'photo 7 k1', 'done 7']);
    expect([...server.cases.get(7)!.photos.keys()]).toEqual(['k1']);
    const feedback = server.cases.get(7)!.timeline.find((e) => e.action === 'feedback')!;
    expect(feedback.data!.photoIds).toEqual([server.cases.get(7)!.photos.get('k1')]);
  });

  it('retries a 503 after backoff, asking first whether it landed', async () => {
    const { server, queue, clock } = setup();
    server.dispatch(7, UNIT);
    server.failNextWith = { ok: false, network: false, status: 503, code: 'unavailable', message: 'busy' };
    queue.enqueue(act.accept(7));
    await settle();
    expect(queue.state().items[0]).toMatchObject({ attempts: 1, uncertain: true, lastError: '503 busy' });
    expect(queue.state().offline).toBe(false);
    await clock.advance(2000);
    expect(server.count('accept', 7)).toBe(1);
    expect(queue.state().items).toEqual([]);
  });

  it('stops on 401 until the crew signs in again, then goes on', async () => {
    const { server, queue } = setup();
    server.dispatch(7, UNIT);
    server.failNextWith = { ok: false, network: false, status: 401, code: 'unauthorized', message: 'expired' };
    queue.enqueue(act.accept(7));
    await settle();
    expect(queue.state()).toMatchObject({ unauthorized: true });
    expect(queue.state().items).toHaveLength(1);
    queue.kick();
    await settle();
    expect(server.count('accept', 7)).toBe(1);
    expect(queue.state()).toMatchObject({ unauthorized: false, items: [] });
  });

  it('says when the phone\'s storage refused the queue (a reload would lose it)', async () => {
    const { server, queue, storage } = setup();
    server.dispatch(7, UNIT);
    server.online = false;
    storage.full = true;
    queue.enqueue(act.accept(7));
    await settle();
    expect(queue.state().persisted).toBe(false);
    storage.full = false;
    server.online = true;
    queue.kick();
    await settle();
    expect(queue.state().persisted).toBe(true);
  });

  it('drops a corrupt stored queue instead of blocking the phone', () => {
    const { server, clock } = setup();
    const storage = new MemoryStorage();
    storage.value = '{"v":1,"items":[{';
    expect(new ActionQueue(server, storage, clock, USER).state().items).toEqual([]);
  });
});

describe('alreadyApplied', () => {
  const entry = (id: number, action: TimelineEntry['action'], unitId: string, ts = id): TimelineEntry =>
    ({ id, caseId: 1, ts, actor: 'x', actorRole: 'field', action, fromStage: null, toStage: null, note: null, data: { unitId } });
  const detail = (timeline: TimelineEntry[], requests: CaseRequest[] = []) => ({ timeline, requests }) as unknown as CaseDetail;

  it('counts only steps of this unit since its latest dispatch', () => {
    const a: FieldAction = { kind: 'accept', unitId: UNIT, caseId: 1 };
    expect(alreadyApplied(a, detail([entry(1, 'dispatch', UNIT)]), USER)).toBe(false);
    expect(alreadyApplied(a, detail([entry(1, 'dispatch', UNIT), entry(2, 'accept', UNIT)]), USER)).toBe(true);
    // accepted, taken away, given back: the old accept does not count
    expect(alreadyApplied(a, detail([entry(1, 'dispatch', UNIT), entry(2, 'accept', UNIT), entry(3, 'reassign', 'staff-0009'), entry(4, 'reassign', UNIT)]), USER)).toBe(false);
    // never this unit's
    expect(alreadyApplied(a, detail([entry(1, 'dispatch', 'staff-0009'), entry(2, 'accept', 'staff-0009')]), USER)).toBe(false);
    const done: FieldAction = { kind: 'done', unitId: UNIT, caseId: 1, note: 'x', photoKeys: [] };
    expect(alreadyApplied(done, detail([entry(1, 'dispatch', UNIT), entry(2, 'feedback', UNIT)]), USER)).toBe(true);
    expect(alreadyApplied({ kind: 'enRoute', unitId: UNIT, caseId: 1 }, detail([entry(1, 'dispatch', UNIT), entry(2, 'accept', UNIT)]), USER)).toBe(false);
  });

  it('a send-back counts when this user asked since the dispatch', () => {
    const sb: FieldAction = { kind: 'sendBack', unitId: UNIT, caseId: 1, reason: 'r' };
    const req = (by: string, ts: number): CaseRequest => ({ id: 1, caseId: 1, kind: 'sendBack', reason: 'r', days: null, requestedBy: by, requestedTs: ts, state: 'pending', decidedBy: null, decidedTs: null });
    expect(alreadyApplied(sb, detail([entry(1, 'dispatch', UNIT, 100)], [req(USER, 150)]), USER)).toBe(true);
    expect(alreadyApplied(sb, detail([entry(1, 'dispatch', UNIT, 100)], [req('someone', 150)]), USER)).toBe(false);
    expect(alreadyApplied(sb, detail([entry(1, 'dispatch', UNIT, 100)], [req(USER, 50)]), USER)).toBe(false);
  });
});

describe('the task deadline on the phone', () => {
  const MIN = 60_000;
  const clock = (kind: 'arrival' | 'closure', startTs: number, targetMs: number, extra: Partial<SlaClock> = {}): SlaClock => ({
    id: kind === 'arrival' ? 1 : 2, caseId: 1, kind, state: 'running', startTs, dueTs: startTs + targetMs, warnTs: startTs + targetMs * 0.8, endTs: null,
    pausedMs: 0, pausedSince: null, escalationLevel: 0, ...extra,
  });
  const T0 = Date.UTC(2026, 10, 28, 2, 0, 0);

  it('an emergency not yet on scene counts the 7 minutes of arrival: green, amber from 80 %, red and negative once due', () => {
    const clocks = [clock('arrival', T0, 7 * MIN), clock('closure', T0 - 5 * MIN, 24 * 60 * MIN)];
    const task = { emergency: true, arrivedTs: null };
    expect(taskDeadline(task, clocks, T0 + 19_000)).toEqual({ kind: 'arrival', dueTs: T0 + 7 * MIN, leftMs: 401_000, colour: 'green', text: '06:41', overdue: false });
    expect(taskDeadline(task, clocks, T0 + 6 * MIN)).toMatchObject({ colour: 'amber', text: '01:00' });
    expect(taskDeadline(task, clocks, T0 + 7 * MIN + 12_500)).toMatchObject({ colour: 'red', text: '-00:12', overdue: true });
  });

  it('once on scene, or for a non-emergency, the closure clock', () => {
    const closure = clock('closure', T0, 24 * 60 * MIN);
    const clocks = [clock('arrival', T0, 7 * MIN, { state: 'met', endTs: T0 + 5 * MIN }), closure];
    expect(taskDeadline({ emergency: true, arrivedTs: T0 + 5 * MIN }, clocks, T0 + 60 * MIN)).toMatchObject({ kind: 'closure', text: '23:00:00', colour: 'green' });
    expect(taskDeadline({ emergency: false, arrivedTs: null }, [closure], T0 + 60 * MIN)).toMatchObject({ kind: 'closure', leftMs: 23 * 60 * MIN });
    expect(taskDeadline({ emergency: false, arrivedTs: null }, [clock('closure', T0, 3 * 24 * 60 * MIN)], T0)).toMatchObject({ text: '3d 00:00' });
  });

  it('no open clock: nothing to count', () => {
    expect(taskDeadline({ emergency: false, arrivedTs: null }, [], T0)).toBeNull();
    expect(taskDeadline({ emergency: false, arrivedTs: null }, [clock('closure', T0, MIN, { state: 'met', endTs: T0 })], T0)).toBeNull();
  });
});

describe('photo size', () => {
  it('scales the longer side to 1600 px, keeps the ratio, never enlarges', () => {
    expect(fitWithin(4032, 3024, 1600)).toEqual({ width: 1600, height: 1200 });
    expect(fitWithin(3024, 4032, 1600)).toEqual({ width: 1200, height: 1600 });
    expect(fitWithin(4000, 1000, 1600)).toEqual({ width: 1600, height: 400 });
    expect(fitWithin(800, 600, 1600)).toEqual({ width: 800, height: 600 });
    expect(fitWithin(1600, 1600, 1600)).toEqual({ width: 1600, height: 1600 });
  });
});

/**
 * The field phone's outbox. A crew on a weak connection taps 接单 / 出发 / 完成 and must not
 * lose the tap nor see it applied twice: every action goes into a small persistent queue
 * (localStorage, so it survives a reload), sent in order, retried with backoff while the
 * network fails, and recognised as already done when an earlier try landed but its answer
 * was lost. A real conflict (the task was reassigned, the case was sent back) stops that
 * case's actions and is shown to the crew instead of being retried for ever.
 *
 * Pure: no fetch, no DOM, no timers of its own — the transport, the storage and the
 * scheduler are passed in, so tests drive it with fakes.
 */
import type { CaseDetail } from '../../shared/cases.ts';

export type FieldAction =
  | { kind: 'accept' | 'enRoute'; unitId: string; caseId: number }
  /** An after-photo, resized JPEG as a data URL; `key` is its Idempotency-Key. */
  | { kind: 'photo'; unitId: string; caseId: number; key: string; dataUrl: string }
  /** 完成: the photos are named by their keys; their server ids are known once they landed. */
  | { kind: 'done'; unitId: string; caseId: number; note: string; photoKeys: string[] }
  | { kind: 'sendBack'; unitId: string; caseId: number; reason: string };

export type SendResult =
  | { ok: true; photoId?: string }
  /** No answer: offline, timed out, connection reset. The request may or may not have landed. */
  | { ok: false; network: true }
  | { ok: false; network: false; status: number; code: string; message: string };

export type CaseLookup = { ok: true; detail: CaseDetail } | { ok: false; network: boolean };

export interface FieldTransport {
  send(action: FieldAction, photoIds: Readonly<Record<string, string>>): Promise<SendResult>;
  /** The case as the server has it now; network: no answer (offline); otherwise the server refused to show it. */
  caseDetail(caseId: number): Promise<CaseLookup>;
}

export interface QueueStorage {
  load(): string | null;
  /** Throws when the phone's storage is full. */
  save(value: string): void;
}

export interface Scheduler {
  now(): number;
  /** Calls fn after ms; returns a cancel function. */
  later(fn: () => void, ms: number): () => void;
}

export interface QueuedAction {
  id: string;
  action: FieldAction;
  attempts: number;
  /** Tries that ended without an answer or with a transient error: the backoff grows with them. */
  failures: number;
  /** Not before this instant (backoff). */
  nextTryTs: number;
  /** An earlier try got no answer: it may have landed, so ask the server before sending again. */
  uncertain: boolean;
  lastError: string | null;
}

/** An action that will not be retried: the crew has to know. */
export interface FailedAction { id: string; action: FieldAction; status: number; code: string; message: string }

export interface QueueState {
  items: readonly QueuedAction[];
  failed: readonly FailedAction[];
  /** A send is in flight. */
  sending: boolean;
  /** The last try failed for want of a network (the banner says "offline"). */
  offline: boolean;
  /** The session ended (401): nothing is sent until the crew signs in again. */
  unauthorized: boolean;
  /** Actions confirmed since the queue was last empty (for "sent"). */
  sentCount: number;
  /** false when the phone's storage refused the queue: a reload would lose it. */
  persisted: boolean;
}

const STORE_VERSION = 1;
interface Stored { v: number; items: QueuedAction[]; failed: FailedAction[]; photoIds: Record<string, string> }

/** 2 s, 4 s, 8 s … capped at a minute. */
export function backoffMs(attempts: number): number {
  return Math.min(60_000, 2000 * 2 ** Math.max(0, attempts - 1));
}

const TRANSIENT = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Whether the action's effect is already in the case: the step the action leads to was taken
 * for this unit since the case was last (re)dispatched to it.
 */
export function alreadyApplied(action: FieldAction, c: CaseDetail, username: string): boolean {
  const tl = c.timeline;
  let since = -1;
  for (let i = tl.length - 1; i >= 0; i--) {
    const e = tl[i]!;
    if ((e.action === 'dispatch' || e.action === 'reassign') && e.data?.unitId === action.unitId) { since = i; break; }
  }
  if (since < 0) return false;
  const after = tl.slice(since + 1);
  const byUnit = (a: string) => after.some((e) => e.action === a && e.data?.unitId === action.unitId);
  switch (action.kind) {
    case 'accept': return byUnit('accept');
    case 'enRoute': return byUnit('enRoute');
    case 'done': return byUnit('feedback');
    case 'sendBack': return c.requests.some((r) => r.kind === 'sendBack' && r.requestedBy === username && r.requestedTs >= tl[since]!.ts);
    case 'photo': return false; // the Idempotency-Key makes a photo retry safe by itself
  }
}

export class ActionQueue {
  private items: QueuedAction[] = [];
  private failed: FailedAction[] = [];
  private photoIds: Record<string, string> = {};
  private sending = false;
  private offline = false;
  private unauthorized = false;
  private sentCount = 0;
  private persisted = true;
  private cancelTimer: (() => void) | null = null;
  private readonly listeners = new Set<(s: QueueState) => void>();
  private seq = 0;

  constructor(
    private readonly transport: FieldTransport,
    private readonly storage: QueueStorage,
    private readonly scheduler: Scheduler,
    private readonly username: string,
  ) {
    const raw = storage.load();
    if (raw) {
      try {
        const s = JSON.parse(raw) as Stored;
        if (s.v === STORE_VERSION) {
          // After a reload nobody knows whether a send that was in flight landed.
          this.items = s.items.map((i) => ({ ...i, uncertain: i.uncertain || i.attempts > 0, nextTryTs: 0 }));
          this.failed = s.failed;
          this.photoIds = s.photoIds;
        }
      } catch {
        // a corrupt store is dropped rather than blocking the phone
      }
    }
  }

  state(): QueueState {
    return {
      items: this.items, failed: this.failed, sending: this.sending, offline: this.offline,
      unauthorized: this.unauthorized, sentCount: this.sentCount, persisted: this.persisted,
    };
  }

  subscribe(fn: (s: QueueState) => void): () => void {
    this.listeners.add(fn);
    fn(this.state());
    return () => this.listeners.delete(fn);
  }

  /** Queues the action and starts sending. Returns its id. */
  enqueue(action: FieldAction): string {
    const id = `${this.scheduler.now().toString(36)}-${(this.seq++).toString(36)}`;
    if (this.items.length === 0) this.sentCount = 0;
    this.items.push({ id, action, attempts: 0, failures: 0, nextTryTs: 0, uncertain: false, lastError: null });
    this.changed();
    this.kick();
    return id;
  }


  /** The crew has read a failure. */
  dismiss(id: string): void {
    this.failed = this.failed.filter((f) => f.id !== id);
    this.changed();
  }

  /** Try now (the network came back, the crew signed in again, the page became visible). */
  kick(): void {
    this.unauthorized = false;
    for (const i of this.items) i.nextTryTs = Math.min(i.nextTryTs, this.scheduler.now());
    void this.run();
  }

  /** Stops the timer (page unmounted); the stored queue stays for the next time. */
  dispose(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.listeners.clear();
  }

  /** Sends queued actions in order until the queue is empty or a try must wait. */
  async run(): Promise<void> {
    if (this.sending || this.unauthorized) return;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.sending = true;
    this.changed();
    try {
      for (;;) {
        const head = this.items[0];
        if (!head) break;
        const wait = head.nextTryTs - this.scheduler.now();
        if (wait > 0) {
          this.cancelTimer = this.scheduler.later(() => void this.run(), wait);
          break;
        }
        const outcome = await this.attempt(head);
        if (outcome === 'wait') break;
      }
    } finally {
      this.sending = false;
      this.changed();
    }
  }

  private async attempt(item: QueuedAction): Promise<'next' | 'wait'> {
    const { action } = item;
    if (item.uncertain && action.kind !== 'photo') {
      const c = await this.transport.caseDetail(action.caseId);
      if (!c.ok && c.network) return this.retryLater(item, 'offline');
      // A case it may not read any more is not proof of anything: the send below gets the server's word.
      if (c.ok && alreadyApplied(action, c.detail, this.username)) return this.succeeded(item);
    }
    if (action.kind === 'done') {
      const missing = action.photoKeys.filter((k) => !this.photoIds[k]);
      if (missing.length > 0) return this.failedFor(item, 409, 'photo_missing', `${missing.length} photo(s) of this report were not uploaded`);
    }
    item.attempts++;
    this.persist();
    const r = await this.transport.send(action, this.photoIds);
    if (r.ok) {
      if (action.kind === 'photo' && r.photoId) this.photoIds[action.key] = r.photoId;
      return this.succeeded(item);
    }
    if (r.network) {
      item.uncertain = true;
      return this.retryLater(item, 'offline');
    }
    if (r.status === 401) {
      this.unauthorized = true;
      item.uncertain = true;
      this.persist();
      return 'wait';
    }
    if (TRANSIENT.has(r.status)) {
      // A 5xx may have been written before it failed: ask before the next try.
      item.uncertain = true;
      return this.retryLater(item, `${r.status} ${r.message}`);
    }
    if (r.status === 409 && action.kind !== 'photo') {
      // "Already in the state this action leads to" is success; anything else is a real conflict.
      const c = await this.transport.caseDetail(action.caseId);
      if (c.ok && alreadyApplied(action, c.detail, this.username)) return this.succeeded(item);
    }
    return this.failedFor(item, r.status, r.code, r.message);
  }

  private succeeded(item: QueuedAction): 'next' {
    this.items = this.items.filter((i) => i !== item);
    // Photo ids are kept only while a queued 完成 still needs them.
    const needed = new Set(this.items.flatMap((i) => (i.action.kind === 'done' ? i.action.photoKeys : [])));
    for (const k of Object.keys(this.photoIds)) if (!needed.has(k)) delete this.photoIds[k];
    this.offline = false;
    this.sentCount++;
    this.changed();
    return 'next';
  }

  private retryLater(item: QueuedAction, why: string): 'wait' {
    this.offline = why === 'offline';
    item.lastError = why;
    item.failures++;
    item.nextTryTs = this.scheduler.now() + backoffMs(item.failures);
    this.cancelTimer = this.scheduler.later(() => void this.run(), item.nextTryTs - this.scheduler.now());
    this.changed();
    return 'wait';
  }

  /** A refusal that a retry cannot change: the action and the later actions of the same case stop. */
  private failedFor(item: QueuedAction, status: number, code: string, message: string): 'next' {
    const caseId = item.action.caseId;
    const dropped = this.items.filter((i) => i === item || i.action.caseId === caseId);
    this.items = this.items.filter((i) => !dropped.includes(i));
    this.failed = [...this.failed, ...dropped.map((i) => i === item
      ? { id: i.id, action: i.action, status, code, message }
      : { id: i.id, action: i.action, status: 0, code: 'skipped', message: `not sent: an earlier step of this task was refused (${code})` })];
    this.offline = false;
    this.changed();
    return 'next';
  }

  private persist(): void {
    const s: Stored = { v: STORE_VERSION, items: this.items, failed: this.failed, photoIds: this.photoIds };
    try {
      this.storage.save(JSON.stringify(s));
      this.persisted = true;
    } catch {
      this.persisted = false;
    }
  }

  private changed(): void {
    this.persist();
    const s = this.state();
    for (const fn of this.listeners) fn(s);
  }
}

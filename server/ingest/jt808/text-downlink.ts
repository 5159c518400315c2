/**
 * Text messages to JT/T 808 terminals (0x8300 文本信息下发): stored first, sent when the
 * terminal is connected (at once, or when it next authenticates), and closed by the
 * terminal's general response (0x0001: 0 answered, else failed) or by expiry. A dispatch
 * reaches the driver this way.
 */
import type Database from 'better-sqlite3';
import type { TextMessageView } from '../../../shared/schemas/devices.ts';
import type { Db } from '../../store/database.ts';
import { MSG } from './messages.ts';
import type { DownlinkAnswer, Jt808Session } from './session.ts';

interface Row {
  id: number; device_id: number; terminal: string; text: string; sent_by: string; case_id: number | null; created_at: number;
  sent_at: number | null; serial: number | null; result: number | null; answered_at: number | null; status: TextMessageView['status'];
}

const view = (r: Row): TextMessageView => ({
  id: r.id, deviceId: r.device_id, text: r.text, sentBy: r.sent_by, caseId: r.case_id, sentAt: r.sent_at,
  result: r.result, answeredAt: r.answered_at, status: r.status,
});

export interface TextTarget {
  /** The registry's id of the device (DeviceView.id). */
  id: number;
  /** The terminal's phone number. */
  deviceId: string;
}

export class TextDownlink {
  /** What every authentication runs, prepared once (a fleet authenticating at once must not compile SQL per terminal). */
  private perSession: Record<'expire' | 'queued', Database.Statement<unknown[]>> | undefined;

  constructor(
    private readonly db: Db,
    private readonly sessionOf: (terminal: string) => Jt808Session | undefined,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  send(target: TextTarget, text: string, sentBy: string, caseId: number | null = null): TextMessageView {
    const id = Number(this.db.prepare(
      `INSERT INTO device_messages (device_id, terminal, text, sent_by, case_id, created_at, status) VALUES (?, ?, ?, ?, ?, ?, 'queued')`,
    ).run(target.id, target.deviceId, text, sentBy, caseId, this.now()).lastInsertRowid);
    const session = this.sessionOf(target.deviceId);
    if (session) this.deliver(session, this.row(id)!);
    return view(this.row(id)!);
  }

  list(deviceId: number, limit = 50): TextMessageView[] {
    this.expire();
    return (this.db.prepare('SELECT * FROM device_messages WHERE device_id = ? ORDER BY id DESC LIMIT ?').all(deviceId, limit) as Row[]).map(view);
  }

  /** A terminal authenticated: what waited for it goes now. */
  onSession(session: Jt808Session): void {
    this.expire();
    const queued = this.statements().queued.all(session.deviceId) as Row[];
    for (const r of queued) this.deliver(session, r);
  }

  /** The terminal's 0x0001; answers to other messages are not ours. */
  onAnswer(a: DownlinkAnswer): boolean {
    if (a.messageId !== MSG.text) return false;
    const r = this.db.prepare(`SELECT * FROM device_messages WHERE terminal = ? AND serial = ? AND status = 'sent' ORDER BY id DESC LIMIT 1`).get(a.deviceId, a.serial) as Row | undefined;
    if (!r) return false;
    this.db.prepare('UPDATE device_messages SET result = ?, answered_at = ?, status = ? WHERE id = ?').run(a.result, this.now(), a.result === 0 ? 'answered' : 'failed', r.id);
    return true;
  }

  /** Messages nobody could deliver, or that no terminal answered, within the TTL. */
  expire(): number {
    return this.statements().expire.run(this.now() - this.ttlMs).changes;
  }

  private statements(): NonNullable<TextDownlink['perSession']> {
    return (this.perSession ??= {
      expire: this.db.prepare(`UPDATE device_messages SET status = 'expired' WHERE status IN ('queued', 'sent') AND created_at < ?`),
      queued: this.db.prepare(`SELECT * FROM device_messages WHERE terminal = ? AND status = 'queued' ORDER BY id`),
    });
  }

  private deliver(session: Jt808Session, r: Row): void {
    const serial = session.sendText(r.text);
    this.db.prepare(`UPDATE device_messages SET status = 'sent', sent_at = ?, serial = ? WHERE id = ?`).run(this.now(), serial, r.id);
  }

  private row(id: number): Row | undefined {
    return this.db.prepare('SELECT * FROM device_messages WHERE id = ?').get(id) as Row | undefined;
  }
}

/**
 * Text messages to JT/T 808 terminals (0x8300 文本信息下发): stored first, sent when the
 * terminal is connected (at once, or when it next authenticates), and closed by the
 * terminal's general response (0x0001: 0 answered, else failed) or by expiry. A dispatch
 * reaches the driver this way.
 */
import type { TextMessageView } from '../../../shared/schemas/devices.ts';
import { SerialWriter } from '../../store/sql/serial-writer.ts';
import type { SqlExecutor } from '../../store/sql/types.ts';
import { MSG } from './messages.ts';
import type { DownlinkAnswer, Jt808Session } from './session.ts';

interface Row {
  [column: string]: unknown;
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
  /**
   * Sending, a session's catch-up, answers and expiry run one at a time, in the order they came:
   * a message stored while its terminal authenticates is sent once, not by both.
   */
  private readonly serial = new SerialWriter();

  constructor(
    private readonly sql: SqlExecutor,
    private readonly sessionOf: (terminal: string) => Jt808Session | undefined,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  send(target: TextTarget, text: string, sentBy: string, caseId: number | null = null): Promise<TextMessageView> {
    return this.serial.run(async () => {
      let row = (await this.sql.one<Row>(
        `INSERT INTO device_messages (device_id, terminal, text, sent_by, case_id, created_at, status) VALUES ($1, $2, $3, $4, $5, $6, 'queued') RETURNING *`,
        [target.id, target.deviceId, text, sentBy, caseId, this.now()]))!;
      const session = this.sessionOf(target.deviceId);
      if (session) row = await this.deliver(session, row);
      return view(row);
    });
  }

  list(deviceId: number, limit = 50): Promise<TextMessageView[]> {
    return this.serial.run(async () => {
      await this.expireNow();
      return (await this.sql.query<Row>('SELECT * FROM device_messages WHERE device_id = $1 ORDER BY id DESC LIMIT $2', [deviceId, limit])).map(view);
    });
  }

  /** A terminal authenticated: what waited for it goes now. */
  onSession(session: Jt808Session): Promise<void> {
    return this.serial.run(async () => {
      await this.expireNow();
      const queued = await this.sql.query<Row>(`SELECT * FROM device_messages WHERE terminal = $1 AND status = 'queued' ORDER BY id`, [session.deviceId ?? null]);
      for (const r of queued) await this.deliver(session, r);
    });
  }

  /** The terminal's 0x0001; answers to other messages are not ours (false). */
  onAnswer(a: DownlinkAnswer): Promise<boolean> {
    if (a.messageId !== MSG.text) return Promise.resolve(false);
    return this.serial.run(async () => {
      const r = await this.sql.one<Row>(`SELECT * FROM device_messages WHERE terminal = $1 AND serial = $2 AND status = 'sent' ORDER BY id DESC LIMIT 1`, [a.deviceId, a.serial]);
      if (!r) return false;
      await this.sql.exec('UPDATE device_messages SET result = $1, answered_at = $2, status = $3 WHERE id = $4', [a.result, this.now(), a.result === 0 ? 'answered' : 'failed', r.id]);
      return true;
    });
  }

  /** Messages nobody could deliver, or that no terminal answered, within the TTL; resolves to how many. */
  expire(): Promise<number> {
    return this.serial.run(() => this.expireNow());
  }

  private async expireNow(): Promise<number> {
    return (await this.sql.exec(`UPDATE device_messages SET status = 'expired' WHERE status IN ('queued', 'sent') AND created_at < $1`, [this.now() - this.ttlMs])).changes;
  }

  /** Puts the text on the wire, then records it as sent; the row as stored afterwards. */
  private async deliver(session: Jt808Session, r: Row): Promise<Row> {
    const serial = session.sendText(r.text);
    const sentAt = this.now();
    await this.sql.exec(`UPDATE device_messages SET status = 'sent', sent_at = $1, serial = $2 WHERE id = $3`, [sentAt, serial, r.id]);
    return { ...r, status: 'sent', sent_at: sentAt, serial };
  }
}

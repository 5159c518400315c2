/**
 * Subpackage reassembly (分包): a long message arrives as `total` frames, each with its index
 * (1-based) and its own serial, consecutive from the first package's. Reassembly holds
 * memory for a peer, so every dimension is bounded: packages per message, bytes per
 * message, messages open at once per connection, and time to complete.
 */
import type { Jt808Frame } from './frame.ts';

export interface SubpackageLimits {
  maxPackages: number;
  maxBytes: number;
  maxOpen: number;
  timeoutMs: number;
}

export const DEFAULT_SUBPACKAGE_LIMITS: SubpackageLimits = { maxPackages: 64, maxBytes: 64 * 1024, maxOpen: 4, timeoutMs: 30_000 };

export type SubpackageRefusal = 'subpackageBadIndex' | 'subpackageTooMany' | 'subpackageTooLarge' | 'subpackageTooManyOpen' | 'subpackageExpired';

export type SubpackageResult =
  | { kind: 'complete'; frame: Jt808Frame }
  | { kind: 'pending' }
  | { kind: 'refused'; reason: SubpackageRefusal; detail: string };

interface Open {
  total: number;
  parts: Array<Buffer | undefined>;
  received: number;
  bytes: number;
  startedAt: number;
  first: Jt808Frame['header'];
}

export class SubpackageAssembler {
  private readonly open = new Map<string, Open>();

  constructor(private readonly limits: SubpackageLimits = DEFAULT_SUBPACKAGE_LIMITS) {}

  get openCount(): number {
    return this.open.size;
  }

  add(frame: Jt808Frame, now: number): SubpackageResult {
    const sp = frame.header.subpackage;
    if (!sp) return { kind: 'complete', frame };
    const { total, index } = sp;
    if (total < 1 || index < 1 || index > total) return { kind: 'refused', reason: 'subpackageBadIndex', detail: `package ${index} of ${total}` };
    if (total > this.limits.maxPackages) return { kind: 'refused', reason: 'subpackageTooMany', detail: `${total} packages exceed ${this.limits.maxPackages}` };
    const baseSerial = (frame.header.serial - (index - 1)) & 0xffff;
    const key = `${frame.header.messageId}:${baseSerial}:${total}`;
    let o = this.open.get(key);
    if (!o) {
      if (this.open.size >= this.limits.maxOpen) return { kind: 'refused', reason: 'subpackageTooManyOpen', detail: `${this.open.size} messages already being reassembled` };
      o = { total, parts: new Array<Buffer | undefined>(total), received: 0, bytes: 0, startedAt: now, first: frame.header };
      this.open.set(key, o);
    }
    if (o.parts[index - 1] === undefined) {
      if (o.bytes + frame.body.length > this.limits.maxBytes) {
        this.open.delete(key);
        return { kind: 'refused', reason: 'subpackageTooLarge', detail: `message exceeds ${this.limits.maxBytes} bytes` };
      }
      o.parts[index - 1] = frame.body;
      o.received++;
      o.bytes += frame.body.length;
      if (index === 1) o.first = frame.header;
    }
    // A repeated package (a terminal resending after a lost answer) replaces nothing.
    if (o.received < o.total) return { kind: 'pending' };
    this.open.delete(key);
    const body = Buffer.concat(o.parts as Buffer[], o.bytes);
    const { subpackage: _sub, ...header } = o.first;
    return { kind: 'complete', frame: { header: { ...header, bodyLength: body.length }, body } };
  }

  /** Drops the messages not completed in time; returns how many. */
  expire(now: number): number {
    let n = 0;
    for (const [key, o] of this.open) {
      if (now - o.startedAt > this.limits.timeoutMs) {
        this.open.delete(key);
        n++;
      }
    }
    return n;
  }
}

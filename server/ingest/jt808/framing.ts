/**
 * JT/T 808 framing (帧): every message travels between two 0x7e flags; inside, 0x7e is sent
 * as 7d 02 and 0x7d as 7d 01. The last byte of the unescaped content is the XOR of all the
 * bytes before it. A TCP stream cuts frames anywhere, so the splitter keeps the partial
 * frame between chunks — in a buffer of fixed size, so that a peer that never sends the
 * closing flag costs one frame's worth of memory and no more.
 */

export const FLAG = 0x7e;
const ESC = 0x7d;

/**
 * The largest unescaped frame a conforming terminal sends: a 2019 header with subpackage
 * fields (21 bytes) + a 1023-byte body (10-bit length) + the checksum.
 */
export const MAX_FRAME_BYTES = 21 + 1023 + 1;

export type FramingError = 'frameTooLong' | 'badEscape';

export interface FrameSink {
  /** An unescaped frame without its flags: header + body + checksum. The buffer is reused after the call returns. */
  frame(content: Buffer): void;
  error(reason: FramingError, detail: string): void;
}

/** Splits a byte stream into unescaped frames (one per connection). */
export class Jt808FrameSplitter {
  private buf: Buffer | undefined;
  private len = 0;
  private inFrame = false;
  private escaping = false;
  /** Set after an error: the bytes up to the next flag belong to the broken frame. */
  private discarding = false;

  constructor(private readonly sink: FrameSink, private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  /** Bytes held for an unfinished frame (what a slow sender costs us). */
  get pending(): number {
    return this.len;
  }

  push(chunk: Buffer): void {
    const n = chunk.length;
    // Runs of plain bytes are copied at once: the next flag and escape are found natively
    // (indexOf), each position searched again only once passed, so a chunk is scanned O(n).
    let flagAt = chunk.indexOf(FLAG);
    let escAt = chunk.indexOf(ESC);
    let i = 0;
    while (i < n) {
      if (flagAt !== -1 && flagAt < i) flagAt = chunk.indexOf(FLAG, i);
      if (escAt !== -1 && escAt < i) escAt = chunk.indexOf(ESC, i);
      if (!this.inFrame || this.discarding) {
        if (flagAt === -1) return;
        i = flagAt;
      }
      const b = chunk[i]!;
      if (b === FLAG) {
        // A flag both ends a frame and may start the next; an empty frame ("7e7e") is the
        // boundary between two frames, not an error.
        if (this.inFrame && !this.discarding && this.len > 0) {
          if (this.escaping) this.sink.error('badEscape', 'frame ends inside an escape sequence');
          else this.sink.frame(this.buf!.subarray(0, this.len));
        }
        this.inFrame = true;
        this.discarding = false;
        this.escaping = false;
        this.len = 0;
        i++;
        continue;
      }
      if (this.escaping) {
        this.escaping = false;
        i++;
        if (b !== 0x01 && b !== 0x02) {
          this.fail('badEscape', `0x7d followed by 0x${b.toString(16).padStart(2, '0')}`);
          continue;
        }
        if (this.len >= this.maxFrameBytes) {
          this.fail('frameTooLong', `frame longer than ${this.maxFrameBytes} bytes`);
          continue;
        }
        this.buf ??= Buffer.allocUnsafe(this.maxFrameBytes);
        this.buf[this.len++] = b === 0x01 ? ESC : FLAG;
        continue;
      }
      if (b === ESC) {
        this.escaping = true;
        i++;
        continue;
      }
      let end = n;
      if (flagAt !== -1 && flagAt < end) end = flagAt;
      if (escAt !== -1 && escAt < end) end = escAt;
      if (this.len + (end - i) > this.maxFrameBytes) {
        this.fail('frameTooLong', `frame longer than ${this.maxFrameBytes} bytes`);
        i = end;
        continue;
      }
      this.buf ??= Buffer.allocUnsafe(this.maxFrameBytes);
      chunk.copy(this.buf, this.len, i, end);
      this.len += end - i;
      i = end;
    }
  }

  private fail(reason: FramingError, detail: string): void {
    this.discarding = true;
    this.escaping = false;
    this.len = 0;
    this.sink.error(reason, detail);
  }
}

/** XOR of every byte of `content` in [start, end). */
export function xorChecksum(content: Uint8Array, start = 0, end = content.length): number {
  let x = 0;
  for (let i = start; i < end; i++) x ^= content[i]!;
  return x;
}

/** Wraps unescaped content (header + body + checksum) into a wire frame: flags and escapes. */
export function escapeFrame(content: Uint8Array): Buffer {
  let extra = 0;
  for (const b of content) if (b === FLAG || b === ESC) extra++;
  const out = Buffer.allocUnsafe(content.length + extra + 2);
  let o = 0;
  out[o++] = FLAG;
  for (const b of content) {
    if (b === FLAG) { out[o++] = ESC; out[o++] = 0x02; }
    else if (b === ESC) { out[o++] = ESC; out[o++] = 0x01; }
    else out[o++] = b;
  }
  out[o++] = FLAG;
  return out;
}

/**
 * GBK (国标扩展) text: plates in 0x0100 and text messages in 0x8300 are GBK on the wire. Node
 * decodes GBK (full ICU) but has no encoder, so the encoder's table is built once from the
 * decoder: every double-byte code decoded on its own, reversed. No dependency, no table file.
 */
const decoder = new TextDecoder('gbk');
let encodeTable: Map<number, number> | undefined;

export function decodeGbk(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

function table(): Map<number, number> {
  if (encodeTable) return encodeTable;
  const t = new Map<number, number>();
  const pair = new Uint8Array(2);
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      pair[0] = lead;
      pair[1] = trail;
      const s = decoder.decode(pair);
      if (s.length === 1 && s !== '\ufffd') {
        const cp = s.charCodeAt(0);
        if (!t.has(cp)) t.set(cp, (lead << 8) | trail);
      }
    }
  }
  encodeTable = t;
  return t;
}

/** Encodes text as GBK; a character GBK lacks becomes '?', as terminals display it. */
export function encodeGbk(text: string): Buffer {
  const t = table();
  const out: number[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) out.push(cp);
    else {
      const code = cp <= 0xffff ? t.get(cp) : undefined;
      if (code === undefined) out.push(0x3f);
      else out.push(code >> 8, code & 0xff);
    }
  }
  return Buffer.from(out);
}

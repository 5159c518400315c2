/**
 * JT/T 808 frames decoded per second on one core: the 85 valid conformance frames (Traccar's,
 * tests/fixtures/jt808) as one TCP byte stream through the whole decode path the gateway runs
 * — splitter (flags, unescaping), header and checksum, and the message body (location with
 * its TLV items, batch, registration, authentication).
 */
import { readFileSync } from 'node:fs';
import { Jt808FrameSplitter } from '../../../server/ingest/jt808/framing.ts';
import { decodeFrame } from '../../../server/ingest/jt808/frame.ts';
import { decodeLocation } from '../../../server/ingest/jt808/location.ts';
import { decodeAuth, decodeBatch, decodeRegistration, MSG } from '../../../server/ingest/jt808/messages.ts';
import type { BenchRow } from './rows.ts';

const TARGET = 100_000;

export default async function jt808Decode(): Promise<BenchRow[]> {
  const fixtures = JSON.parse(readFileSync('tests/fixtures/jt808/frames.json', 'utf8')) as Array<{ wireHex: string; checksumValid: boolean; messageId: string }>;
  const valid = fixtures.filter((f) => f.checksumValid);
  const stream = Buffer.concat(valid.map((f) => Buffer.from(f.wireHex, 'hex')));
  const locationsOnly = Buffer.concat(valid.filter((f) => f.messageId === '0x0200').map((f) => Buffer.from(f.wireHex, 'hex')));
  const rows: BenchRow[] = [];
  for (const [label, buf, perPass] of [
    ['all message types', stream, valid.length],
    ['0x0200 location reports', locationsOnly, valid.filter((f) => f.messageId === '0x0200').length],
  ] as const) {
    let frames = 0;
    let positions = 0;
    const splitter = new Jt808FrameSplitter({
      frame: (c) => {
        const d = decodeFrame(c);
        if (!d.ok) throw new Error(d.reason);
        frames++;
        const { header, body } = d.frame;
        if (header.messageId === MSG.location) positions += decodeLocation(body, 480).ok ? 1 : 0;
        else if (header.messageId === MSG.batch) positions += decodeBatch(body, 480).ok ? 1 : 0;
        else if (header.messageId === MSG.register) decodeRegistration(body, header.version2019);
        else if (header.messageId === MSG.authenticate) decodeAuth(body, header.version2019);
      },
      error: (r) => { throw new Error(r); },
    });
    // Warm up, then measure for about two seconds.
    for (let i = 0; i < 2000; i++) splitter.push(buf);
    frames = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    let passes = 0;
    while (elapsed < 2e9) {
      for (let i = 0; i < 500; i++) splitter.push(buf);
      passes += 500;
      elapsed = Number(process.hrtime.bigint() - start);
    }
    if (frames !== passes * perPass) throw new Error(`decoded ${frames} of ${passes * perPass} frames`);
    const perSecond = Math.round(frames / (elapsed / 1e9));
    rows.push({ metric: `JT/T 808 frames decoded per second, one core (${label})`, value: perSecond, unit: 'frames/s', target: `≥ ${TARGET.toLocaleString('en')}`, met: perSecond >= TARGET, note: `${frames.toLocaleString('en')} frames, ${buf.length} bytes per pass of ${perPass}` });
  }
  return rows;
}

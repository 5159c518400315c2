/**
 * Just enough of a PDF reader for the tests: the number of pages and the text of a PDF as
 * Chromium prints it (objects not in object streams, Flate-compressed content, Type0 fonts
 * with Identity-H encoding and a ToUnicode CMap). Glyph runs are joined with a space, so a
 * test compares text with the whitespace taken out.
 */
import { inflateSync } from 'node:zlib';

interface PdfObject { dict: string; stream: Buffer | null }

function objects(pdf: Buffer): Map<number, PdfObject> {
  const text = pdf.toString('latin1');
  const out = new Map<number, PdfObject>();
  const re = /(\d+) 0 obj\b/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const start = m.index + m[0].length;
    const end = text.indexOf('endobj', start);
    const body = text.slice(start, end);
    const s = /stream\r?\n/.exec(body);
    let stream: Buffer | null = null;
    let dict = body;
    if (s) {
      dict = body.slice(0, s.index);
      const len = Number(/\/Length (\d+)/.exec(dict)?.[1] ?? NaN);
      const from = start + s.index + s[0].length;
      const raw = pdf.subarray(from, Number.isFinite(len) ? from + len : start + body.lastIndexOf('endstream'));
      stream = dict.includes('/FlateDecode') ? inflateSync(raw) : raw;
    }
    out.set(Number(m[1]), { dict, stream });
    re.lastIndex = end;
  }
  return out;
}

/** The /Type /Page objects (not /Pages): one per printed page. */
export function pdfPageCount(pdf: Buffer): number {
  return [...objects(pdf).values()].filter((o) => /\/Type\s*\/Page(?![a-zA-Z])/.test(o.dict)).length;
}

function cmap(data: string): Map<string, string> {
  const map = new Map<string, string>();
  const utf16 = (hex: string) => Buffer.from(hex, 'hex').swap16().toString('utf16le');
  for (const block of data.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const [, src, dst] of block[1]!.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>/g)) map.set(src!.toLowerCase(), utf16(dst!));
  }
  for (const block of data.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    for (const [, lo, hi, dst] of block[1]!.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>/g)) {
      const first = parseInt(dst!, 16);
      for (let c = parseInt(lo!, 16), k = 0; c <= parseInt(hi!, 16); c++, k++) {
        map.set(c.toString(16).padStart(lo!.length, '0'), utf16((first + k).toString(16).padStart(dst!.length, '0')));
      }
    }
  }
  return map;
}

/** The text of every page, runs separated by spaces. */
export function pdfText(pdf: Buffer): string {
  const objs = objects(pdf);
  const toUnicode = new Map<number, Map<string, string>>();
  for (const [id, o] of objs) {
    const ref = /\/ToUnicode (\d+) 0 R/.exec(o.dict);
    const cm = ref && objs.get(Number(ref[1]))?.stream;
    if (cm) toUnicode.set(id, cmap(cm.toString('latin1')));
  }
  const parts: string[] = [];
  for (const o of objs.values()) {
    if (!/\/Type\s*\/Page(?![a-zA-Z])/.test(o.dict)) continue;
    const fonts = new Map<string, Map<string, string>>();
    const fontDict = /\/Font\s*<<([^>]*)>>/.exec(o.dict)?.[1] ?? '';
    for (const [, name, id] of fontDict.matchAll(/\/(\S+?)\s+(\d+) 0 R/g)) {
      const m = toUnicode.get(Number(id));
      if (m) fonts.set(name!, m);
    }
    const contents = /\/Contents (\d+) 0 R/.exec(o.dict);
    const content = contents && objs.get(Number(contents[1]))?.stream?.toString('latin1');
    if (!content) continue;
    let font: Map<string, string> | undefined;
    for (const tok of content.matchAll(/\/(\S+)\s+[\d.]+\s+Tf|<([0-9a-fA-F]*)>|\b(ET|T\*|Td|TD|Tm)\b/g)) {
      if (tok[1] !== undefined) font = fonts.get(tok[1]);
      else if (tok[2] !== undefined && font) {
        const hex = tok[2].toLowerCase();
        let s = '';
        for (let i = 0; i + 4 <= hex.length; i += 4) s += font.get(hex.slice(i, i + 4)) ?? '';
        parts.push(s);
      } else if (tok[3] !== undefined) parts.push(' ');
    }
  }
  return parts.join('');
}

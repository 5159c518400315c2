/** Names refuse control, bidirectional and invisible formatting characters; ordinary text passes, in both validators the server uses. */
import { describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { Ajv } from 'ajv';
import { SAFE_NAME_PATTERN, SafeName, isSafeName, nameProblem } from '../../shared/names.ts';

/** Refused, each written as its code point so that this file shows what it tests. */
const REFUSED: readonly [string, number][] = [
  ['NUL', 0x0000], ['line feed', 0x000a], ['escape', 0x001b], ['delete', 0x007f], ['next line (C1)', 0x0085],
  ['Arabic letter mark', 0x061c], ['zero-width space', 0x200b], ['left-to-right mark', 0x200e], ['right-to-left mark', 0x200f],
  ['line separator', 0x2028], ['right-to-left embedding', 0x202b], ['right-to-left override', 0x202e],
  ['word joiner', 0x2060], ['left-to-right isolate', 0x2066], ['pop directional isolate', 0x2069], ['zero-width no-break space', 0xfeff],
];

const ACCEPTED = ['环卫一组', '历下区大屏 · 北', 'Wall – North 1', "O'Brien", 'zhang.wei', '鲁A·12345', 'جدار', '🚛 sweeper 3', 'tab-free name with  two spaces'];

describe('safe names', () => {
  it.each(REFUSED)('refuses %s', (_label, cp) => {
    const name = `Wall${String.fromCodePoint(cp)}North`;
    expect(isSafeName(name)).toBe(false);
    expect(nameProblem(name)).toBe(`contains the control or bidirectional character U+${cp.toString(16).toUpperCase().padStart(4, '0')}`);
  });

  it.each(ACCEPTED)('accepts %s', (name) => {
    expect(isSafeName(name)).toBe(true);
    expect(nameProblem(name)).toBeUndefined();
  });

  it('the schema refuses the same names in TypeBox (strict bodies) and in Ajv (the route validator)', () => {
    const body = Type.Object({ name: SafeName({ minLength: 1, maxLength: 100 }) });
    const typebox = Compile(body);
    const ajv = new Ajv({ allErrors: false }).compile(body);
    expect((body.properties.name as { pattern?: string }).pattern).toBe(SAFE_NAME_PATTERN);
    for (const [label, cp] of REFUSED) {
      const bad = { name: `a${String.fromCodePoint(cp)}b` };
      expect(typebox.Check(bad), label).toBe(false);
      expect(ajv(bad), label).toBe(false);
    }
    for (const name of ACCEPTED) {
      expect(typebox.Check({ name }), name).toBe(true);
      expect(ajv({ name }), name).toBe(true);
    }
    // The limits given still apply beside the pattern.
    expect(typebox.Check({ name: '' })).toBe(false);
    expect(typebox.Check({ name: 'x'.repeat(101) })).toBe(false);
  });
});

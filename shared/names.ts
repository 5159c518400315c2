/**
 * Names that people type and other people read (user names, unit and device names, display-token
 * and key names, case titles) refuse control characters and the invisible characters that reorder
 * or hide text. A name with a right-to-left override shows one thing on a wall and is another in
 * the audit log ("Trojan Source"); a newline or an escape sequence forges lines in a log or a
 * terminal. Chinese, Latin, digits, punctuation and ordinary spaces all pass.
 */
import { Type, type TStringOptions } from 'typebox';

/**
 * The refused code points, as a JSON-schema regular-expression class (compiled with the `u` flag by
 * both Ajv and TypeBox):
 * C0 and C1 controls and DEL; U+061C Arabic letter mark; U+200B–U+200F zero-width space/joiners and
 * the left-to-right / right-to-left marks; U+2028–U+202E line and paragraph separators and the bidi
 * embeddings and overrides; U+2060–U+2064 and U+2066–U+2069 word joiner, invisible operators and the
 * bidi isolates; U+FEFF the byte-order mark used as a zero-width no-break space.
 */
const REFUSED_CLASS = '\\u0000-\\u001F\\u007F-\\u009F\\u061C\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF';

/** The pattern a name's schema carries: only characters outside the refused class. */
export const SAFE_NAME_PATTERN = `^[^${REFUSED_CLASS}]*$`;

const safeName = new RegExp(SAFE_NAME_PATTERN, 'u');
const firstRefused = new RegExp(`[${REFUSED_CLASS}]`, 'u');

/** True when `name` has no control, bidirectional or invisible formatting character. */
export function isSafeName(name: string): boolean {
  return safeName.test(name);
}

/** Why a name is refused (the offending code point, as U+XXXX), or undefined when it is fine. */
export function nameProblem(name: string): string | undefined {
  const m = firstRefused.exec(name);
  if (!m) return undefined;
  const cp = m[0].codePointAt(0)!;
  return `contains the control or bidirectional character U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** A TypeBox string schema for a name: the given limits plus the safe-name pattern. */
export function SafeName(options: Omit<TStringOptions, 'pattern'> = {}) {
  return Type.String({ ...options, pattern: SAFE_NAME_PATTERN });
}

/**
 * PostgreSQL's `$n` placeholders turned into SQLite's anonymous `?`, with the values reordered
 * to match (better-sqlite3 binds neither `?NNN` reuse nor `$n` positionally). Quoted strings,
 * quoted identifiers and comments are copied untouched, so a `'$1'` literal stays a literal.
 */
import { SqlStoreError, type SqlParam } from './types.ts';

export interface PositionalSql {
  sql: string;
  params: SqlParam[];
}

export function toPositional(sql: string, params: readonly SqlParam[]): PositionalSql {
  let out = '';
  const bound: SqlParam[] = [];
  const used = new Set<number>();
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = closingQuote(sql, i, c);
      out += sql.slice(i, end);
      i = end;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      const end = nl < 0 ? sql.length : nl;
      out += sql.slice(i, end);
      i = end;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      const end = close < 0 ? sql.length : close + 2;
      out += sql.slice(i, end);
      i = end;
    } else if (c === '$' && isDigit(sql.charCodeAt(i + 1))) {
      let j = i + 1;
      while (j < sql.length && isDigit(sql.charCodeAt(j))) j++;
      const n = Number(sql.slice(i + 1, j));
      if (n < 1 || n > params.length) throw new SqlStoreError(`placeholder $${n} has no value (${params.length} given)`);
      bound.push(params[n - 1]!);
      used.add(n);
      out += '?';
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  if (used.size !== params.length) throw new SqlStoreError(`${params.length} values given, ${used.size} placeholders used: a value is bound to nothing`);
  return { sql: out, params: bound };
}

function closingQuote(sql: string, start: number, q: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === q) {
      // A doubled quote is an escaped one inside the literal.
      if (sql[i + 1] === q) { i += 2; continue; }
      return i + 1;
    }
    i++;
  }
  return sql.length;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

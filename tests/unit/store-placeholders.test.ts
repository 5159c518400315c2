import { describe, expect, it } from 'vitest';
import { toPositional } from '../../server/store/sql/placeholders.ts';
import { SqlStoreError } from '../../server/store/sql/types.ts';

describe('numbered placeholders for SQLite', () => {
  it('turns $n into ? and orders the values as they appear, repeats included', () => {
    expect(toPositional('SELECT * FROM t WHERE a = $2 AND b = $1 OR c = $2', ['x', 'y'])).toEqual({
      sql: 'SELECT * FROM t WHERE a = ? AND b = ? OR c = ?',
      params: ['y', 'x', 'y'],
    });
  });

  it('reads multi-digit numbers whole ($10 is the tenth value, not the first followed by 0)', () => {
    const values = ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9', 'v10'];
    const sql = `INSERT INTO t VALUES (${values.map((_, i) => `$${values.length - i}`).join(', ')})`;
    const out = toPositional(sql, values);
    expect(out.sql).toBe(`INSERT INTO t VALUES (${values.map(() => '?').join(', ')})`);
    expect(out.params).toEqual(['v10', 'v9', 'v8', 'v7', 'v6', 'v5', 'v4', 'v3', 'v2', 'v1']);
  });

  it('leaves $n inside string literals, quoted identifiers and comments alone', () => {
    const sql = `SELECT '$1 it''s', "col$1" FROM t -- $1 here\nWHERE x = $1 /* $1 */`;
    expect(toPositional(sql, [7])).toEqual({ sql: `SELECT '$1 it''s', "col$1" FROM t -- $1 here\nWHERE x = ? /* $1 */`, params: [7] });
  });

  it('refuses a placeholder with no value and a value with no placeholder', () => {
    expect(() => toPositional('SELECT $2', [1])).toThrow(SqlStoreError);
    expect(() => toPositional('SELECT $0', [1])).toThrow(/\$0 has no value/);
    expect(() => toPositional('SELECT $1', [1, 2])).toThrow(/bound to nothing/);
  });
});

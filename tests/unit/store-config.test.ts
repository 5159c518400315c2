import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../../server/config.ts';

describe('DATABASE_URL in the configuration', () => {
  it('leaves the embedded SQLite store the default when unset', () => {
    expect(loadConfig({}).database).toBeUndefined();
    expect(describeConfig(loadConfig({})).store).toEqual({ kind: 'sqlite' });
  });

  it('selects PostgreSQL with DATABASE_URL (and DATABASE_SCHEMA), and logs where without the password', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://ops:Secr3t-pw@db.internal:5432/cityops', DATABASE_SCHEMA: 'lixia' });
    expect(c.database).toEqual({ url: 'postgres://ops:Secr3t-pw@db.internal:5432/cityops', schema: 'lixia' });
    const logged = describeConfig(c);
    expect(logged.store).toEqual({ kind: 'postgres', at: 'postgres://ops@db.internal:5432/cityops', schema: 'lixia' });
    expect(JSON.stringify(logged)).not.toContain('Secr3t-pw');
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/cityops' }).database).toEqual({ url: 'postgresql://db/cityops', schema: undefined });
  });

  it('refuses a schema without DATABASE_URL, and a schema name that is not an identifier', () => {
    expect(() => loadConfig({ DATABASE_SCHEMA: 'lixia' })).toThrow(/DATABASE_SCHEMA: set DATABASE_URL too/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://db/cityops', DATABASE_SCHEMA: 'lixia; DROP TABLE cases' })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://db/cityops', DATABASE_SCHEMA: 'Lixia' })).toThrow(/DATABASE_SCHEMA/);
  });

  it('refuses another scheme with the value masked', () => {
    const start = () => loadConfig({ DATABASE_URL: 'mysql://ops:Secr3t-pw@db/cityops' });
    expect(start).toThrow(/DATABASE_URL=\*\*\*: /);
    expect(start).not.toThrow(/Secr3t-pw/);
  });
});

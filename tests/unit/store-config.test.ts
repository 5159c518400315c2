import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.ts';

describe('DATABASE_URL in the configuration', () => {
  it('leaves the embedded SQLite store the default when unset', () => {
    expect(loadConfig({}).dataDir).toBe('./var');
  });

  it('refuses a PostgreSQL URL while the repositories run on SQLite only, without echoing the password', () => {
    const start = () => loadConfig({ DATABASE_URL: 'postgres://ops:Secr3t-pw@db.internal:5432/cityops' });
    expect(start).toThrow(ConfigError);
    expect(start).toThrow(/DATABASE_URL=\*\*\*: this build runs its repositories on the embedded SQLite store only/);
    expect(start).not.toThrow(/Secr3t-pw/);
  });

  it('refuses another scheme with the value masked', () => {
    const start = () => loadConfig({ DATABASE_URL: 'mysql://ops:Secr3t-pw@db/cityops' });
    expect(start).toThrow(/DATABASE_URL=\*\*\*: /);
    expect(start).not.toThrow(/Secr3t-pw/);
  });
});

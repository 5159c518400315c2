/**
 * First start of an empty database: create the admin with a random password (or
 * ADMIN_PASSWORD) and one wall display token, and hand both back once for printing.
 * Nothing is created, or printed, again once an admin exists. Production mode refuses a
 * first start without ADMIN_PASSWORD: a generated password printed to stdout ends up in the
 * service's log, where it stays.
 */
import { ConfigError } from '../config.ts';
import type { AccessRepo } from '../store/access-repo.ts';
import type { AuditRepo } from '../store/audit-repo.ts';
import { hashPassword, newPassword, newToken } from './passwords.ts';

export interface FirstStartCredentials { adminUser: string; adminPassword: string | undefined; wallToken: string }

export async function bootstrapAccess(access: AccessRepo, audit: AuditRepo, adminPassword: string | undefined, production = false): Promise<FirstStartCredentials | undefined> {
  if ((await access.countAdmins()) > 0) return undefined;
  if (production && adminPassword === undefined) {
    throw new ConfigError('invalid configuration:\n  ADMIN_PASSWORD: required in production on the first start (an empty store); a generated password would be printed into the log');
  }
  const password = adminPassword ?? newPassword();
  await access.createUser('admin', await hashPassword(password), 'admin');
  const wallToken = newToken();
  await access.createDisplayToken(wallToken, 'Command-center wall', 'system');
  await audit.record({ actor: 'system', action: 'bootstrap', target: 'admin', detail: { displayToken: 'Command-center wall' } });
  // A configured password is the operator's own; only a generated one is printed.
  return { adminUser: 'admin', adminPassword: adminPassword ? undefined : password, wallToken };
}

/**
 * One login attempt: the lockout first, then the password — always hashed, also for a user
 * that does not exist or is disabled, so the answer takes as long either way and does not
 * tell an attacker which usernames are real.
 */
import type { AccessRepo, UserRow } from '../store/access-repo.ts';
import { hashPassword, newToken, verifyPassword } from './passwords.ts';
import { ADDRESS_RULE, USER_RULE, addressKey, userKey, type LoginThrottle, type ThrottleRule } from './login-throttle.ts';

export type LoginOutcome =
  | { ok: true; user: UserRow }
  | { ok: false; reason: 'locked'; retryAfterMs: number }
  | { ok: false; reason: 'invalid' };

export interface LoginDeps {
  access: AccessRepo;
  throttle: LoginThrottle;
  verify?: (password: string, stored: string) => Promise<boolean>;
  userRule?: ThrottleRule;
  addressRule?: ThrottleRule;
}

export class LoginChecker {
  /** A hash of a password nobody knows, with the same cost as real ones: what an unknown user is checked against. */
  private decoy: Promise<string> | undefined;
  private readonly verify: (password: string, stored: string) => Promise<boolean>;

  constructor(private readonly d: LoginDeps) {
    this.verify = d.verify ?? verifyPassword;
  }

  async attempt(username: string, password: string, address: string, now: number): Promise<LoginOutcome> {
    const keys = [userKey(username), addressKey(address)];
    const lockedUntil = await this.d.throttle.lockedUntil(keys, now);
    if (lockedUntil !== undefined) return { ok: false, reason: 'locked', retryAfterMs: lockedUntil - now };
    const user = await this.d.access.findUser(username);
    const usable = user !== undefined && !user.disabled;
    const matches = await this.verify(password, usable ? user.passwordHash : await this.decoyHash());
    if (usable && matches) {
      await this.d.throttle.clear(userKey(username));
      return { ok: true, user };
    }
    await this.d.throttle.recordFailure(userKey(username), this.d.userRule ?? USER_RULE, now);
    await this.d.throttle.recordFailure(addressKey(address), this.d.addressRule ?? ADDRESS_RULE, now);
    return { ok: false, reason: 'invalid' };
  }

  private decoyHash(): Promise<string> {
    this.decoy ??= hashPassword(newToken());
    return this.decoy;
  }
}

import { describe, expect, it } from 'vitest';
import { PASSWORD_MIN_LENGTH, assertPasswordAllowed, passwordProblem, PasswordPolicyError } from '../../server/auth/password-policy.ts';
import { ADDRESS_RULE, USER_RULE, lockDelayMs, type ThrottleRule } from '../../server/auth/login-throttle.ts';
import { fastifyTrustProxy, parseTrustProxy } from '../../server/auth/hardening-config.ts';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { liveSocketOrigin } from '../../server/plugins/security.ts';

describe('password policy', () => {
  it('wants at least 12 characters, counted as people count them', () => {
    expect(PASSWORD_MIN_LENGTH).toBe(12);
    expect(passwordProblem('Tr0ub4dor&3', 'li')).toBe('too_short'); // 11
    expect(passwordProblem('Tr0ub4dor&3x', 'li')).toBeUndefined(); // 12
    // 11 Chinese characters are 11 characters, not 33 bytes.
    expect(passwordProblem('济南历下城市管理指挥中', 'li')).toBe('too_short');
    expect(passwordProblem('济南历下城市管理指挥中心', 'li')).toBeUndefined();
  });

  it('refuses the username, also with a suffix or in another case', () => {
    expect(passwordProblem('zhangwei1234', 'zhangwei1234')).toBe('same_as_username');
    expect(passwordProblem('ZhangWeiZhangWei', 'zhangwei')).toBe('same_as_username');
    expect(passwordProblem('dispatcher-01', 'dispatcher')).toBe('same_as_username');
    expect(passwordProblem('zhangwei-river-lamp', 'zhangwei')).toBeUndefined();
  });

  it('refuses common passwords whatever their case', () => {
    expect(passwordProblem('Password1234', 'li')).toBe('common');
    expect(passwordProblem('QWERTY123456', 'li')).toBe('common');
    expect(passwordProblem('1qaz2wsx3edc', 'li')).toBe('common');
    expect(() => assertPasswordAllowed('changeme1234', 'li')).toThrow(PasswordPolicyError);
  });
});

describe('login backoff', () => {
  const rule: ThrottleRule = { freeFailures: 3, baseDelayMs: 500, maxDelayMs: 10_000, forgetAfterMs: 60_000 };
  it('locks nobody for the first failures, then doubles from the base up to the cap', () => {
    expect([1, 2, 3].map((n) => lockDelayMs(n, rule))).toEqual([0, 0, 0]);
    expect([4, 5, 6, 7, 8, 9].map((n) => lockDelayMs(n, rule))).toEqual([500, 1000, 2000, 4000, 8000, 10_000]);
    expect(lockDelayMs(5000, rule)).toBe(10_000);
  });
  it('gives a shared office address more room than one user', () => {
    expect(USER_RULE.freeFailures).toBeLessThan(ADDRESS_RULE.freeFailures);
    expect(lockDelayMs(USER_RULE.freeFailures + 1, USER_RULE)).toBe(1000);
    expect(lockDelayMs(USER_RULE.freeFailures + 1, ADDRESS_RULE)).toBe(0);
  });
});

describe('TRUST_PROXY', () => {
  it('is off by default and takes a hop count or addresses and ranges', () => {
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('10.0.0.0/8, 127.0.0.1,::1,fd00::/8')).toEqual(['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8']);
  });
  it('refuses true, nonsense and impossible ranges with the reason', () => {
    expect(parseTrustProxy('true')).toMatchObject({ problem: expect.stringMatching(/choose its address/) });
    expect(parseTrustProxy('11')).toMatchObject({ problem: expect.stringMatching(/1\.\.10/) });
    expect(parseTrustProxy('10.0.0.0/33')).toMatchObject({ problem: expect.stringMatching(/10\.0\.0\.0\/33/) });
    expect(parseTrustProxy('lb.example')).toMatchObject({ problem: expect.stringMatching(/lb\.example/) });
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY="true"/);
  });
  it('hands Fastify a hop count as the function trusting that many hops', () => {
    const fn = fastifyTrustProxy(2) as (a: string, hop: number) => boolean;
    expect([0, 1, 2, 3].map((hop) => fn('10.0.0.1', hop))).toEqual([true, true, false, false]);
    expect(fastifyTrustProxy(['10.0.0.0/8'])).toEqual(['10.0.0.0/8']);
    expect(loadConfig({ TRUST_PROXY: '1' }).hardening.trustProxy).toBe(1);
  });
});

describe('production mode', () => {
  const production = { NODE_ENV: 'production', ADMIN_PASSWORD: 'river-lamp-ferry-42' };
  it('refuses to start without PUBLIC_URL', () => {
    expect(() => loadConfig(production)).toThrow(ConfigError);
    expect(() => loadConfig(production)).toThrow(/PUBLIC_URL: required in production/);
    expect(loadConfig({ ...production, PUBLIC_URL: 'https://cityops.example.gov.cn' }).env).toBe('production');
  });
  it('refuses an ADMIN_PASSWORD the policy refuses, without printing it', () => {
    let message = '';
    try {
      loadConfig({ ADMIN_PASSWORD: 'Password1234' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/ADMIN_PASSWORD=\*\*\*: the password is on the list of common passwords/);
    expect(message).not.toContain('Password1234');
    expect(() => loadConfig({ ADMIN_PASSWORD: 'AdminAdmin12' })).toThrow(/must not be the username/);
  });
  it('keeps the audit log a year unless AUDIT_RETENTION_DAYS says otherwise', () => {
    expect(loadConfig({}).hardening.auditRetentionDays).toBe(365);
    expect(loadConfig({ AUDIT_RETENTION_DAYS: '30' }).hardening.auditRetentionDays).toBe(30);
    expect(() => loadConfig({ AUDIT_RETENTION_DAYS: '0' })).toThrow(/AUDIT_RETENTION_DAYS=0: must be 1..36500/);
  });
});

describe('CSP connect-src', () => {
  it('names the public origin as ws/wss, and no wildcard scheme', () => {
    expect(liveSocketOrigin('https://cityops.example.gov.cn')).toEqual(['wss://cityops.example.gov.cn']);
    expect(liveSocketOrigin('http://10.1.2.3:8080')).toEqual(['ws://10.1.2.3:8080']);
    expect(liveSocketOrigin(undefined)).toEqual([]);
  });
});

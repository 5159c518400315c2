/** The cluster's settings: off without REDIS_URL, validated, and the Redis password never printed. */
import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../../server/config.ts';

describe('cluster configuration', () => {
  it('is off without REDIS_URL, and on with its defaults when set', () => {
    expect(loadConfig({}).cluster).toBeUndefined();
    expect(loadConfig({ REDIS_URL: 'redis://redis-host:6379/2' }).cluster).toEqual({ redisUrl: 'redis://redis-host:6379/2', keyPrefix: 'cityops', nodeId: undefined, leaseTtlMs: 5000 });
    expect(loadConfig({ REDIS_URL: 'rediss://redis-host:6380', REDIS_KEY_PREFIX: 'lixia:prod', CLUSTER_NODE_ID: 'node-2', CLUSTER_LEASE_TTL_MS: '3000' }).cluster)
      .toEqual({ redisUrl: 'rediss://redis-host:6380', keyPrefix: 'lixia:prod', nodeId: 'node-2', leaseTtlMs: 3000 });
  });

  it('never prints the Redis password: not in the described config, not in an error', () => {
    const c = loadConfig({ REDIS_URL: 'redis://ops:s3cret-pw@redis-host:6379' });
    const described = JSON.stringify(describeConfig(c));
    expect(described).not.toContain('s3cret-pw');
    expect(described).toContain('redis://ops:***@redis-host:6379');
    expect(JSON.stringify(describeConfig(loadConfig({ REDIS_URL: 'redis://:s3cret-pw@redis-host' })))).toContain('redis://:***@redis-host');
    let message = '';
    try { loadConfig({ REDIS_URL: 'http://:s3cret-pw@redis-host' }); } catch (err) { message = (err as Error).message; }
    expect(message).toContain('REDIS_URL=***');
    expect(message).not.toContain('s3cret-pw');
  });

  it('refuses cluster settings without REDIS_URL, and a lease TTL out of range, naming the variable', () => {
    expect(() => loadConfig({ CLUSTER_NODE_ID: 'node-1' })).toThrow(/CLUSTER_NODE_ID: set REDIS_URL too/);
    expect(() => loadConfig({ REDIS_URL: 'redis://redis-host', CLUSTER_LEASE_TTL_MS: '500' })).toThrow(ConfigError);
    expect(() => loadConfig({ REDIS_URL: 'redis://redis-host', CLUSTER_LEASE_TTL_MS: '500' })).toThrow(/CLUSTER_LEASE_TTL_MS=500: must be 1000\.\.60000/);
    expect(() => loadConfig({ REDIS_URL: 'redis://redis-host', CLUSTER_NODE_ID: 'node 1' })).toThrow(/CLUSTER_NODE_ID/);
  });
});

/** The MQTT and HTTP-ingest settings: defaults, refusals, and secrets kept out of the start-up log. */
import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../../server/config.ts';

describe('feeds configuration', () => {
  it('leaves MQTT off without MQTT_URL and has HTTP-ingest defaults', () => {
    const c = loadConfig({});
    expect(c.mqtt).toBeUndefined();
    expect(c.httpIngest).toEqual({ maxBatch: 1000, maxBodyBytes: 1024 * 1024, ratePerMin: 600 });
  });

  it('reads the broker, and prints it with no password anywhere', () => {
    const c = loadConfig({ MQTT_URL: 'mqtts://sensors:url-secret@broker.bureau.example:8883', MQTT_USERNAME: 'cityops', MQTT_PASSWORD: 'env-secret', MQTT_TOPIC_PREFIX: 'lixia/sensors' });
    expect(c.mqtt).toMatchObject({ url: 'mqtts://sensors:url-secret@broker.bureau.example:8883', username: 'cityops', password: 'env-secret', topicPrefix: 'lixia/sensors', tlsInsecure: false });
    const printed = JSON.stringify(describeConfig(c));
    expect(printed).not.toContain('url-secret');
    expect(printed).not.toContain('env-secret');
    expect(printed).toContain('broker.bureau.example:8883');
  });

  it('refuses MQTT settings without a broker, a bad URL, and limits out of range, naming the variable but no secret', () => {
    expect(() => loadConfig({ MQTT_USERNAME: 'u' })).toThrow(/MQTT_USERNAME: set MQTT_URL too/);
    let message = '';
    try { loadConfig({ MQTT_URL: 'http://user:pw-secret@broker' }); } catch (err) { message = (err as ConfigError).message; }
    expect(message).toMatch(/MQTT_URL=\*\*\*/);
    expect(message).not.toContain('pw-secret');
    expect(() => loadConfig({ INGEST_MAX_BATCH: '0' })).toThrow(/INGEST_MAX_BATCH=0/);
    expect(() => loadConfig({ INGEST_MAX_BODY_KB: '0' })).toThrow(/INGEST_MAX_BODY_KB=0/);
    expect(() => loadConfig({ MQTT_URL: 'mqtt://b', MQTT_TOPIC_PREFIX: 'a/+/b' })).toThrow(/MQTT_TOPIC_PREFIX/);
  });
});

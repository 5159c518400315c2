/** The pure parts of the MQTT and HTTP feeds: report times, sensor topics and payloads, reconnect delays. */
import { describe, expect, it } from 'vitest';
import { parseReportTime } from '../../server/ingest/report-time.ts';
import { decodeSensorMessage } from '../../server/ingest/mqtt/sensor-message.ts';
import { Backoff } from '../../server/ingest/mqtt/backoff.ts';
import { brokerForDisplay, MqttSensorGateway } from '../../server/ingest/mqtt/gateway.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('parseReportTime', () => {
  it('takes epoch milliseconds and ISO 8601 with a zone', () => {
    expect(parseReportTime(1_796_000_000_000)).toEqual({ ok: true, ts: 1_796_000_000_000 });
    // 14:03 in Jinan (GMT+8) is 06:03 UTC
    expect(parseReportTime('2026-12-07T14:03:00+08:00')).toEqual({ ok: true, ts: Date.UTC(2026, 11, 7, 6, 3, 0) });
    expect(parseReportTime('2026-12-07T06:03:00.250Z')).toEqual({ ok: true, ts: Date.UTC(2026, 11, 7, 6, 3, 0, 250) });
  });
  it('refuses what would be guessed: no zone, epoch seconds, fractions, impossible dates', () => {
    expect(parseReportTime('2026-12-07T14:03:00')).toMatchObject({ ok: false, detail: expect.stringContaining('with a zone') });
    expect(parseReportTime(1_796_000_000)).toMatchObject({ ok: false, detail: expect.stringContaining('epoch seconds') });
    expect(parseReportTime(1_796_000_000_000.5)).toMatchObject({ ok: false });
    expect(parseReportTime('2026-13-45T10:00Z')).toMatchObject({ ok: false, detail: expect.stringContaining('not a valid date') });
    expect(parseReportTime(undefined)).toMatchObject({ ok: false, detail: expect.stringContaining('missing') });
  });
});

describe('decodeSensorMessage', () => {
  const ts = '2026-12-07T14:03:00+08:00';
  it('reads the device from the topic and the readings from the payload', () => {
    expect(decodeSensorMessage('cityops', 'cityops/bin/bin-00042', bytes(JSON.stringify({ fill: 83.5, ts })))).toEqual({
      ok: true, kind: 'bin', update: { deviceId: 'bin-00042', ts: Date.UTC(2026, 11, 7, 6, 3), attrs: { fill: 83.5 } },
    });
    expect(decodeSensorMessage('bureau/lixia', 'bureau/lixia/toilet/wc-7', bytes(JSON.stringify({ nh3: 0.4, occupied: 2, ts: 1_796_000_000_000 })))).toMatchObject({
      ok: true, kind: 'toilet', update: { deviceId: 'wc-7', attrs: { nh3: 0.4, occupied: 2 } },
    });
  });
  it.each([
    ['other/bin/b1', '{"fill":1,"ts":1796000000000}', 'badTopic'],
    ['cityops/truck/b1', '{"fill":1,"ts":1796000000000}', 'badTopic'],
    ['cityops/bin/b1/extra', '{"fill":1,"ts":1796000000000}', 'badTopic'],
    ['cityops/bin/b 1', '{"fill":1,"ts":1796000000000}', 'badTopic'],
    ['cityops/bin/b1', '{"fill":1,', 'notJson'],
    ['cityops/bin/b1', '{"fill":101,"ts":1796000000000}', 'badPayload'],
    ['cityops/bin/b1', '{"fill":1,"ts":1796000000000,"battery":3}', 'badPayload'],
    ['cityops/toilet/t1', '{"ts":1796000000000}', 'badPayload'],
    ['cityops/toilet/t1', '{"occupied":1.5,"ts":1796000000000}', 'badPayload'],
    ['cityops/bin/b1', '{"fill":1,"ts":1796000000}', 'badTime'],
  ])('%s %s → %s', (topic, payload, reason) => {
    expect(decodeSensorMessage('cityops', topic, bytes(payload))).toMatchObject({ ok: false, reason });
  });
  it('refuses invalid UTF-8 and oversized payloads, naming the device', () => {
    expect(decodeSensorMessage('cityops', 'cityops/bin/b1', new Uint8Array([0x7b, 0xff]))).toMatchObject({ ok: false, reason: 'notJson', deviceId: 'b1' });
    expect(decodeSensorMessage('cityops', 'cityops/bin/b1', new Uint8Array(4097))).toMatchObject({ ok: false, reason: 'tooLarge', deviceId: 'b1' });
  });
});

describe('Backoff', () => {
  it('doubles from the minimum to the maximum, within half to all of each step, and starts over after a success', () => {
    const low = new Backoff(1000, 8000, () => 0);
    expect([1, 2, 3, 4, 5].map(() => low.next())).toEqual([500, 1000, 2000, 4000, 4000]);
    const high = new Backoff(1000, 8000, () => 1);
    expect([1, 2, 3, 4, 5].map(() => high.next())).toEqual([1000, 2000, 4000, 8000, 8000]);
    high.reset();
    expect(high.next()).toBe(1000);
  });
});

describe('brokerForDisplay', () => {
  it('drops the user and password from the broker URL', () => {
    expect(brokerForDisplay('mqtts://sensor:p%40ss@broker.example:8883')).toBe('mqtts://broker.example:8883');
    expect(brokerForDisplay('not a url')).toBe('(unparsable URL)');
  });
});

describe('MqttSensorGateway.handle', () => {
  const make = () => {
    let t = Date.UTC(2026, 11, 7, 6, 0);
    const lines: { level: string; obj: Record<string, unknown> }[] = [];
    const log = { info: () => {}, warn: (obj: object) => lines.push({ level: 'warn', obj: obj as Record<string, unknown> }), error: (obj: object) => lines.push({ level: 'error', obj: obj as Record<string, unknown> }) };
    const submitted: unknown[] = [];
    const refused: [string | undefined, string][] = [];
    const gw = new MqttSensorGateway(
      { url: 'mqtt://127.0.0.1:1', rejectUnauthorized: true, topicPrefix: 'cityops', minReconnectMs: 1000, maxReconnectMs: 60_000 },
      { submit: (u) => { submitted.push(u); return { accepted: true, entityId: 'bin-00001' }; } },
      log, (deviceId, reason) => refused.push([deviceId, reason]), () => t,
    );
    return { gw, lines, submitted, refused, advance: (ms: number) => { t += ms; } };
  };

  it('submits a good reading and tells the registry of a refused one', () => {
    const { gw, submitted, refused } = make();
    gw.handle('cityops/bin/bin-00001', bytes('{"fill": 40, "ts": 1796000000000}'));
    gw.handle('cityops/bin/bin-00001', bytes('{"fill": "x", "ts": 1796000000000}'));
    expect(submitted).toEqual([{ deviceId: 'bin-00001', ts: 1_796_000_000_000, attrs: { fill: 40 } }]);
    expect(refused).toEqual([['bin-00001', 'badPayload']]);
    expect(gw.snapshot()).toMatchObject({ received: 2, accepted: 1, refused: { badPayload: 1 } });
  });

  it('counts every bad message but logs 10 per reason a minute, then how many it did not', () => {
    const { gw, lines, advance } = make();
    for (let i = 0; i < 25; i++) gw.handle('cityops/bin/b1', bytes('nope'));
    expect(lines).toHaveLength(10);
    expect(lines[0]!.obj).toMatchObject({ topic: 'cityops/bin/b1', reason: 'notJson' });
    advance(60_000);
    gw.handle('cityops/bin/b1', bytes('nope'));
    expect(lines[10]!.obj).toEqual({ unlogged: ['notJson: 15'] });
    expect(lines[11]!.obj).toMatchObject({ reason: 'notJson' });
    expect(gw.snapshot().refused.notJson).toBe(26);
  });

  it('survives a sink that throws, and says so', () => {
    const { lines } = make();
    const gw = new MqttSensorGateway(
      { url: 'mqtt://127.0.0.1:1', rejectUnauthorized: true, topicPrefix: 'cityops', minReconnectMs: 1000, maxReconnectMs: 60_000 },
      { submit: () => { throw new Error('live state broke'); } },
      { info: () => {}, warn: () => {}, error: (obj: object, msg: string) => lines.push({ level: 'error', obj: { ...obj, msg } as Record<string, unknown> }) },
    );
    expect(() => gw.handle('cityops/bin/b1', bytes('{"fill": 1, "ts": 1796000000000}'))).not.toThrow();
    expect(gw.snapshot().lastError).toBe('live state broke');
    expect(lines.at(-1)!.obj.msg).toBe('mqtt: message handling failed');
  });
});

/**
 * MQTT sensors against the real Mosquitto broker (MQTT_URL, 127.0.0.1:1883 in CI) and the real
 * server: a bin's fill and a toilet's air published to `{prefix}/{kind}/{deviceId}` reach a
 * wall's live stream; bad messages are refused by reason and change nothing; a broker that is
 * down at start or drops the connection does not stop the server, and a persistent session
 * loses nothing published while the gateway was away.
 */
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusCode } from '../../shared/live-codec.ts';
import { call, waitFor } from './ops-http.ts';
import { adminSession, mqttUrlForTests, registerDevice, WallWatcher } from './feeds-harness.ts';
import { startServer, type RunningServer } from './server-harness.ts';

const BROKER = mqttUrlForTests();
const ADMIN_PASSWORD = 'admin-password-for-tests';
/** A prefix of our own per run: other runs and other users of the broker never cross. */
const PREFIX = `cityops-it-${randomBytes(4).toString('hex')}`;

const servers: RunningServer[] = [];
const walls: WallWatcher[] = [];
let publisher: MqttClient;

async function server(env: Record<string, string>): Promise<RunningServer> {
  const s = await startServer({ SIM_ENABLED: 'false', ADMIN_PASSWORD, LIVE_TICK_MS: '200', ...env });
  servers.push(s);
  return s;
}
const gatewayStats = async (s: RunningServer, token: string) => {
  const r = await call(s.url, token, 'GET', '/api/ingest/gateways');
  expect(r.status).toBe(200);
  return r.json.mqtt as { connected: boolean; broker: string; connects: number; received: number; accepted: number; refused: Record<string, number>; dropped: Record<string, number>; lastError: string | null };
};
const publish = (topic: string, payload: string | Buffer) => publisher.publishAsync(topic, payload, { qos: 1 });

afterAll(async () => {
  for (const w of walls) w.close();
  await publisher?.endAsync();
  for (const s of servers) await s.close();
});

describe.skipIf(!BROKER)('MQTT sensors over a real broker', () => {
  let s: RunningServer;
  let admin: string;
  let wall: WallWatcher;

  beforeAll(async () => {
    publisher = await mqtt.connectAsync(BROKER!, { reconnectPeriod: 0 });
    s = await server({ MQTT_URL: BROKER!, MQTT_TOPIC_PREFIX: PREFIX });
    admin = await adminSession(s, ADMIN_PASSWORD);
    await registerDevice(s, admin, 'mqtt', 'bin-00001', 'bin-00001');
    await registerDevice(s, admin, 'mqtt', 'wc-dmh-01', 'toilet-0001');
    await waitFor('the gateway to subscribe', async () => ((await gatewayStats(s, admin)).connected ? true : undefined), 10_000);
    wall = await WallWatcher.open(s);
    walls.push(wall);
  });

  it('moves a bin on the wall: fill 91 % makes it full, in epoch ms or ISO 8601', async () => {
    await publish(`${PREFIX}/bin/bin-00001`, JSON.stringify({ fill: 91, ts: Date.now() }));
    const full = await wall.waitFor('bin-00001', 'fill 91, full', (r) => r.attrs?.fill === 91);
    expect(full.statusCode).toBe(statusCode('bin', 'full'));
    const iso = new Date(Date.now() + 1000).toISOString().replace('Z', '+00:00');
    await publish(`${PREFIX}/bin/bin-00001`, JSON.stringify({ fill: 97.5, ts: iso }));
    const overflow = await wall.waitFor('bin-00001', 'fill 97.5, overflow', (r) => r.attrs?.fill === 97.5);
    expect(overflow.statusCode).toBe(statusCode('bin', 'overflow'));
  });

  it("reports a toilet's air and stalls; NH₃ over its class I limit (0.3 mg/m³) raises the odour flag", async () => {
    await publish(`${PREFIX}/toilet/wc-dmh-01`, JSON.stringify({ nh3: 0.5, h2s: 0.002, occupied: 3, ts: Date.now() }));
    const row = await wall.waitFor('toilet-0001', 'nh3 0.5', (r) => r.attrs?.nh3 === 0.5);
    expect(row.attrs).toMatchObject({ nh3: 0.5, h2s: 0.002, occupied: 3, odourAlarm: true });
  });

  it('refuses bad messages by reason, with their topic, and keeps serving the good ones', async () => {
    const before = await gatewayStats(s, admin);
    const bad: [string, string | Buffer][] = [
      [`${PREFIX}/bin/bin-00001`, '{"fill": 50, "ts": '], // truncated
      [`${PREFIX}/bin/bin-00001`, Buffer.from([0xff, 0xfe, 0x00, 0x7b])], // not UTF-8
      [`${PREFIX}/bin/bin-00001`, JSON.stringify({ fill: 150, ts: Date.now() })], // out of 0..100
      [`${PREFIX}/bin/bin-00001`, JSON.stringify({ fill: '50', ts: Date.now() })], // wrong type
      [`${PREFIX}/bin/bin-00001`, JSON.stringify({ fill: 50, ts: Date.now(), battery: 3 })], // not in the schema
      [`${PREFIX}/bin/bin-00001`, JSON.stringify({ fill: 50, ts: Math.floor(Date.now() / 1000) })], // epoch seconds
      [`${PREFIX}/bin/bin-00001`, JSON.stringify({ fill: 50, ts: '2026-12-07 10:00:00' })], // no zone
      [`${PREFIX}/bin/bin-00001`, JSON.stringify({ fill: 50, ts: Date.now(), pad: 'x'.repeat(5000) })], // oversized
      [`${PREFIX}/toilet/wc-dmh-01`, JSON.stringify({ ts: Date.now() })], // no reading
      [`${PREFIX}/bin/no-such-bin`, JSON.stringify({ fill: 50, ts: Date.now() })], // unknown device
      [`${PREFIX}/toilet/bin-00001`, JSON.stringify({ nh3: 1, ts: Date.now() })], // a bin is no toilet
    ];
    for (const [topic, payload] of bad) await publish(topic, payload);
    await publish(`${PREFIX}/bin/bin-00001`, JSON.stringify({ fill: 12, ts: Date.now() + 2000 }));
    const ok = await wall.waitFor('bin-00001', 'fill 12', (r) => r.attrs?.fill === 12);
    expect(ok.statusCode).toBe(statusCode('bin', 'ok'));
    const after = await waitFor('all messages counted', async () => {
      const st = await gatewayStats(s, admin);
      return st.received - before.received === bad.length + 1 ? st : undefined;
    }, 10_000);
    const delta = (k: string) => (after.refused[k] ?? 0) - (before.refused[k] ?? 0);
    expect({ notJson: delta('notJson'), badPayload: delta('badPayload'), badTime: delta('badTime'), tooLarge: delta('tooLarge'), badTopic: delta('badTopic') })
      .toEqual({ notJson: 2, badPayload: 4, badTime: 2, tooLarge: 1, badTopic: 0 });
    expect((after.dropped.unknownDevice ?? 0) - (before.dropped.unknownDevice ?? 0)).toBe(1);
    expect((after.dropped.malformed ?? 0) - (before.dropped.malformed ?? 0)).toBe(1);
    expect(after.accepted - before.accepted).toBe(1);
    // The device page tells the sensor's story: a real device, its reports and refusals, the last reason.
    const listed = await call(s.url, admin, 'GET', '/api/devices?protocol=mqtt&q=bin-00001');
    const dev = listed.json.items.find((d: { deviceId: string }) => d.deviceId === 'bin-00001');
    expect(dev).toMatchObject({ real: true, entityId: 'bin-00001', accepted: 3, refused: 9, lastRefusal: { reason: 'malformed' } });
    // After the snapshot's row, no fill but 91, 97.5 and 12 ever reached the wall.
    expect(new Set(wall.rows.get('bin-00001')!.slice(1).map((r) => r.attrs?.fill).filter((f) => f !== undefined))).toEqual(new Set([91, 97.5, 12]));
  });

  it('shows the broker without credentials', async () => {
    const st = await gatewayStats(s, admin);
    expect(st.broker).toBe(new URL(BROKER!).toString().replace(/\/$/, ''));
    expect(st.connects).toBe(1);
  });
});

describe.skipIf(!BROKER)('MQTT broker trouble', () => {
  it('starts and serves with the broker down, saying why, with the password in no answer', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const s = await server({ MQTT_URL: 'mqtt://sensor-user:s3cret-pass@127.0.0.1:1', MQTT_TOPIC_PREFIX: PREFIX });
    const admin = await adminSession(s, ADMIN_PASSWORD);
    const st = await waitFor('a refused connection', async () => { const x = await gatewayStats(s, admin); return x.lastError ? x : undefined; }, 10_000);
    expect(st.connected).toBe(false);
    expect(st.lastError).toMatch(/ECONNREFUSED/);
    expect(JSON.stringify(st)).not.toContain('s3cret-pass');
    expect(st.broker).toBe('mqtt://127.0.0.1:1');
    expect((await fetch(`${s.url}/api/health`)).status).toBe(200);
  });

  it('reconnects after the connection drops, and a persistent session loses nothing published meanwhile', async () => {
    const broker = new URL(BROKER!);
    // A TCP relay of our own between the gateway and the broker, so the test can cut the line.
    let refusing = false;
    const links = new Set<Socket>();
    const relay: Server = createServer((inbound) => {
      if (refusing) return inbound.destroy();
      const outbound = tcpConnect(Number(broker.port || 1883), broker.hostname);
      for (const [a, b] of [[inbound, outbound], [outbound, inbound]] as const) {
        links.add(a);
        a.pipe(b);
        a.on('error', () => b.destroy());
        a.on('close', () => { links.delete(a); b.destroy(); });
      }
    });
    await new Promise<void>((ok) => relay.listen(0, '127.0.0.1', ok));
    const port = (relay.address() as { port: number }).port;
    try {
      const s = await server({ MQTT_URL: `mqtt://127.0.0.1:${port}`, MQTT_TOPIC_PREFIX: PREFIX, MQTT_CLIENT_ID: `cityops-it-${randomBytes(4).toString('hex')}` });
      const admin = await adminSession(s, ADMIN_PASSWORD);
      await registerDevice(s, admin, 'mqtt', 'bin-00002', 'bin-00002');
      await waitFor('connected through the relay', async () => ((await gatewayStats(s, admin)).connected ? true : undefined), 10_000);
      const wall = await WallWatcher.open(s);
      walls.push(wall);

      refusing = true;
      for (const l of links) l.destroy();
      await waitFor('the drop to be seen', async () => ((await gatewayStats(s, admin)).connected ? undefined : true), 10_000);
      // Published while the gateway is away: the broker keeps it for the persistent session.
      await publish(`${PREFIX}/bin/bin-00002`, JSON.stringify({ fill: 66, ts: Date.now() }));
      refusing = false;

      const row = await wall.waitFor('bin-00002', 'the fill published while away', (r) => r.attrs?.fill === 66, 20_000);
      expect(row.statusCode).toBe(statusCode('bin', 'ok'));
      const st = await gatewayStats(s, admin);
      expect(st.connected).toBe(true);
      expect(st.connects).toBeGreaterThanOrEqual(2);
      expect(st.accepted).toBe(1);
    } finally {
      for (const l of links) l.destroy();
      await new Promise((ok) => relay.close(ok));
    }
  });
});

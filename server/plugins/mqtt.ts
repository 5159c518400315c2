/**
 * MQTT sensors in (issue 8 part 3): with MQTT_URL set, bins and toilets publishing to
 * `{MQTT_TOPIC_PREFIX}/{bin|toilet}/{deviceId}` reach the live state through the ingest with
 * source 'mqtt'. The server starts whether or not the broker is up, and keeps trying.
 */
import { readFileSync } from 'node:fs';
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';
import { ConfigError } from '../config.ts';
import { MqttSensorGateway, type RefusalListener } from '../ingest/mqtt/gateway.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Undefined when MQTT_URL is not set. */
    mqttIngest: MqttSensorGateway | undefined;
  }
}

export interface MqttPluginOptions {
  mqtt: Config['mqtt'];
  now: () => number;
  /** Reconnect backoff bounds; tests shorten them. */
  minReconnectMs?: number;
  maxReconnectMs?: number;
}

export default fp<MqttPluginOptions>(async (app, opts) => {
  const c = opts.mqtt;
  if (!c) {
    app.decorate('mqttIngest', undefined);
    return;
  }
  let ca: Buffer | undefined;
  if (c.caFile !== undefined) {
    try {
      ca = readFileSync(c.caFile);
    } catch (err) {
      throw new ConfigError(`invalid configuration:\n  MQTT_CA_FILE=${c.caFile}: ${(err as Error).message}`);
    }
  }
  // The device page shows a sensor's refusals beside its reports (DevicePort.refused).
  const onRefused: RefusalListener = (deviceId, reason, detail) => app.deviceDirectory.refused('mqtt', deviceId, reason, detail, opts.now());
  const gateway = new MqttSensorGateway({
    url: c.url, username: c.username, password: c.password, ca, rejectUnauthorized: !c.tlsInsecure, clientId: c.clientId,
    topicPrefix: c.topicPrefix, minReconnectMs: opts.minReconnectMs ?? 1000, maxReconnectMs: opts.maxReconnectMs ?? 60_000,
  }, app.ingest.sink('mqtt'), app.log.child({ module: 'mqtt' }), onRefused, opts.now);
  app.decorate('mqttIngest', gateway);
  app.addHook('onReady', async () => gateway.start());
  app.addHook('onClose', async () => gateway.close());
}, { name: 'mqtt', dependencies: ['live', 'devices'] });

/**
 * The MQTT gateway: subscribes to the bureau's broker for bin and toilet sensors and feeds
 * each message to the one ingest entry point with source 'mqtt'. The broker may be down when
 * the server starts or go away later: the server runs on and reconnects with backoff. A bad
 * message is counted by reason and logged with its topic — never its payload, which is the
 * device's business — and nothing else is affected.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { SourceSink } from '../ingest.ts';
import type { DropReason } from '../types.ts';
import { Backoff } from './backoff.ts';
import { decodeSensorMessage, MQTT_REFUSALS, type MqttRefusal } from './sensor-message.ts';

export interface MqttGatewayOptions {
  url: string;
  username?: string;
  password?: string;
  /** PEM CA bundle for a broker whose certificate a private CA signed (mqtts://). */
  ca?: Buffer;
  /** false only for a test broker with a self-signed certificate. */
  rejectUnauthorized: boolean;
  /** A fixed client id makes the session persistent: the broker keeps QoS 1 messages while the server restarts. */
  clientId?: string;
  topicPrefix: string;
  minReconnectMs: number;
  maxReconnectMs: number;
}

export interface MqttGatewayLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface MqttGatewayStats {
  connected: boolean;
  /** The broker as configured, without credentials. */
  broker: string;
  subscriptions: string[];
  connects: number;
  received: number;
  accepted: number;
  /** Refused before the ingest (topic, size, JSON, schema, time). */
  refused: Record<MqttRefusal, number>;
  /** Refused by the ingest (unknown device, wrong attribute for the kind, too old…). */
  dropped: Partial<Record<DropReason, number>>;
  lastError: string | null;
}

/** Where refusals go besides the counters: the device registry's per-device counters (DevicePort.refused). */
export type RefusalListener = (deviceId: string | undefined, reason: string, detail: string) => void;

/** The broker URL for logs and the stats: user and password removed. */
export function brokerForDisplay(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * A broken sensor can send thousands of bad messages a minute: each is counted, but only the
 * first few per reason and minute are logged, then one line says how many were not.
 */
const LOGGED_PER_REASON_PER_MINUTE = 10;

export class MqttSensorGateway {
  private client: MqttClient | undefined;
  private logWindow = { start: 0, byReason: new Map<string, number>() };
  private readonly backoff: Backoff;
  private retry: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly stats: MqttGatewayStats;

  constructor(
    private readonly opts: MqttGatewayOptions,
    /** The ingest with the source fixed to 'mqtt' (app.ingest.sink('mqtt')). */
    private readonly ingest: SourceSink,
    private readonly log: MqttGatewayLog,
    private readonly onRefused: RefusalListener = () => {},
    private readonly now: () => number = Date.now,
  ) {
    this.backoff = new Backoff(opts.minReconnectMs, opts.maxReconnectMs);
    this.stats = {
      connected: false, broker: brokerForDisplay(opts.url),
      subscriptions: [`${opts.topicPrefix}/bin/+`, `${opts.topicPrefix}/toilet/+`],
      connects: 0, received: 0, accepted: 0,
      refused: Object.fromEntries(MQTT_REFUSALS.map((r) => [r, 0])) as Record<MqttRefusal, number>,
      dropped: {}, lastError: null,
    };
  }

  start(): void {
    const o = this.opts;
    const options: IClientOptions = {
      // Our own backoff decides when to try again (mqtt.js retries at a fixed period).
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      clean: o.clientId === undefined,
      ...(o.clientId !== undefined ? { clientId: o.clientId } : {}),
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(o.ca !== undefined ? { ca: o.ca } : {}),
      rejectUnauthorized: o.rejectUnauthorized,
    };
    const client = mqtt.connect(o.url, options);
    this.client = client;
    client.on('connect', (connack) => {
      this.stats.connected = true;
      this.stats.connects++;
      this.backoff.reset();
      this.log.info({ broker: this.stats.broker, sessionPresent: connack.sessionPresent }, 'mqtt: connected');
      // A persistent session the broker kept still has our subscriptions.
      if (connack.sessionPresent) return;
      client.subscribe(this.stats.subscriptions, { qos: 1 }, (err, granted) => {
        if (err) return this.failed('subscribe', err);
        const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
        if (refused.length > 0) this.failed('subscribe', new Error(`broker refused ${refused.join(', ')}`));
      });
    });
    client.on('message', (topic, payload) => this.handle(topic, payload));
    client.on('error', (err) => this.failed('connection', err));
    client.on('close', () => {
      if (this.stats.connected) this.log.warn({ broker: this.stats.broker }, 'mqtt: connection lost');
      this.stats.connected = false;
      if (this.closing || this.retry) return;
      const delay = this.backoff.next();
      this.retry = setTimeout(() => {
        this.retry = undefined;
        try {
          if (!this.closing) client.reconnect();
        } catch (err) {
          // A timer that throws would end the server; the next 'close' schedules another try.
          this.failed('reconnect', err as Error);
        }
      }, delay);
      this.retry.unref();
    });
  }

  /** One message; public so that the fuzz test can feed it bytes the broker would pass on. */
  handle(topic: string, payload: Uint8Array): void {
    this.stats.received++;
    try {
      const m = decodeSensorMessage(this.opts.topicPrefix, topic, payload);
      if (!m.ok) {
        this.stats.refused[m.reason]++;
        if (this.shouldLog(m.reason)) this.log.warn({ topic: topic.slice(0, 200), reason: m.reason, detail: m.detail }, 'mqtt: message refused');
        this.onRefused(m.deviceId, m.reason, m.detail);
        return;
      }
      const outcome = this.ingest.submit(m.update);
      if (outcome.accepted) {
        this.stats.accepted++;
      } else {
        this.stats.dropped[outcome.reason] = (this.stats.dropped[outcome.reason] ?? 0) + 1;
        if (this.shouldLog(outcome.reason)) this.log.warn({ topic, reason: outcome.reason, detail: outcome.detail }, 'mqtt: report dropped by the ingest');
      }
    } catch (err) {
      // A message handler that throws would reach mqtt.js's stream and end the connection.
      this.stats.lastError = (err as Error).message;
      this.log.error({ err, topic: topic.slice(0, 200) }, 'mqtt: message handling failed');
    }
  }

  snapshot(): MqttGatewayStats {
    return structuredClone(this.stats);
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.retry) clearTimeout(this.retry);
    await this.client?.endAsync(true);
  }

  private shouldLog(reason: string): boolean {
    const now = this.now();
    const w = this.logWindow;
    if (now - w.start >= 60_000) {
      const unlogged = [...w.byReason].filter(([, n]) => n > LOGGED_PER_REASON_PER_MINUTE).map(([r, n]) => `${r}: ${n - LOGGED_PER_REASON_PER_MINUTE}`);
      if (unlogged.length > 0) this.log.warn({ unlogged }, 'mqtt: more messages were refused than logged in the last minute (all are counted)');
      this.logWindow = { start: now, byReason: new Map() };
    }
    const n = (this.logWindow.byReason.get(reason) ?? 0) + 1;
    this.logWindow.byReason.set(reason, n);
    return n <= LOGGED_PER_REASON_PER_MINUTE;
  }

  private failed(what: string, err: Error): void {
    // mqtt.js puts no credentials in its errors; the URL we show has none either.
    this.stats.lastError = `${what}: ${err.message}`;
    this.log.warn({ broker: this.stats.broker, error: err.message }, `mqtt: ${what} failed`);
  }
}

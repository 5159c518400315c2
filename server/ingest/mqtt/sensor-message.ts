/**
 * One MQTT message from a bin or toilet sensor → an ingest update, or a refusal with a reason.
 * Topic `{prefix}/{kind}/{deviceId}`: the topic names the device, never the payload, so that
 * a broker's topic ACLs are what authenticate a sensor.
 */
import { Compile } from 'typebox/compile';
import { BinPayload, SENSOR_KINDS, ToiletPayload, type SensorKind } from '../../../shared/schemas/ingest.ts';
import type { IngestUpdate } from '../types.ts';
import { parseReportTime } from '../report-time.ts';

/** Why a message never reached the ingest. */
export const MQTT_REFUSALS = ['badTopic', 'tooLarge', 'notJson', 'badPayload', 'badTime'] as const;
export type MqttRefusal = (typeof MQTT_REFUSALS)[number];

/** A sensor sends a few dozen bytes; anything this large is not one of ours. */
export const MAX_PAYLOAD_BYTES = 4096;
const DEVICE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

const checkers: Record<SensorKind, ReturnType<typeof Compile>> = { bin: Compile(BinPayload), toilet: Compile(ToiletPayload) };

export type SensorMessage =
  | { ok: true; kind: SensorKind; update: Omit<IngestUpdate, 'source'> }
  | { ok: false; reason: MqttRefusal; detail: string; deviceId?: string };

export function decodeSensorMessage(prefix: string, topic: string, payload: Uint8Array): SensorMessage {
  const levels = topic.split('/');
  const prefixLevels = prefix.split('/');
  const kind = levels[prefixLevels.length];
  const deviceId = levels[prefixLevels.length + 1];
  if (levels.length !== prefixLevels.length + 2 || prefixLevels.some((p, i) => levels[i] !== p)) {
    return { ok: false, reason: 'badTopic', detail: `topic is not ${prefix}/{kind}/{deviceId}` };
  }
  if (!(SENSOR_KINDS as readonly string[]).includes(kind!)) return { ok: false, reason: 'badTopic', detail: `kind "${kind!.slice(0, 20)}" is not one of ${SENSOR_KINDS.join(', ')}` };
  if (!DEVICE_ID.test(deviceId!)) return { ok: false, reason: 'badTopic', detail: 'deviceId must be 1–64 of A–Z a–z 0–9 . _ : -' };
  const base = { deviceId: deviceId! };
  if (payload.byteLength > MAX_PAYLOAD_BYTES) return { ...base, ok: false, reason: 'tooLarge', detail: `payload of ${payload.byteLength} bytes > ${MAX_PAYLOAD_BYTES}` };
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    return { ...base, ok: false, reason: 'notJson', detail: 'payload is not UTF-8 JSON' };
  }
  const sensorKind = kind as SensorKind;
  const checker = checkers[sensorKind];
  if (!checker.Check(body)) {
    const first = [...checker.Errors(body)][0];
    return { ...base, ok: false, reason: 'badPayload', detail: `${sensorKind} payload${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}` };
  }
  const { ts: rawTs, ...readings } = body as BinPayload | ToiletPayload;
  const time = parseReportTime(rawTs);
  if (!time.ok) return { ...base, ok: false, reason: 'badTime', detail: time.detail };
  return { ok: true, kind: sensorKind, update: { deviceId: deviceId!, ts: time.ts, attrs: readings } };
}

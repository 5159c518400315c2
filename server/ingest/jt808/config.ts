/**
 * The JT/T 808 gateway's settings from the environment (documented in .env.example and the
 * README). JT808_REGISTRATION belongs to the device registry (server/config.ts `devices`).
 */
import { Type } from 'typebox';
import { DEFAULT_GATEWAY_LIMITS, type GatewayLimits } from './server.ts';
import { DEFAULT_MUCK_SIGNALS, parseSignalSource, type MuckSignals } from './report.ts';

const digits = (max: number) => Type.Optional(Type.String({ pattern: `^[0-9]{1,${max}}$` }));

export const JT808_ENV = {
  /** TCP port; `off` runs no gateway; `0` any free port. Default 7808, or 0 when PORT is 0 (tests). */
  JT808_PORT: Type.Optional(Type.String({ pattern: '^([0-9]{1,5}|off)$' })),
  /** Offset of the terminals' clocks from UTC, minutes (the standard's GMT+8: 480). */
  JT808_UTC_OFFSET_MIN: Type.Optional(Type.String({ pattern: '^-?[0-9]{1,3}$' })),
  JT808_IDLE_TIMEOUT_S: digits(5),
  JT808_AUTH_TIMEOUT_S: digits(5),
  JT808_MAX_CONNECTIONS: digits(6),
  JT808_FRAMES_PER_S: digits(4),
  /** Muck truck load: standard (status bits 8–9) | bit:N | !bit:N | tlv:0xNN | !tlv:0xNN | off */
  JT808_MUCK_LOAD: Type.Optional(Type.String({ maxLength: 16 })),
  /** Muck truck lid sealed: bit:N | !bit:N | tlv:0xNN | !tlv:0xNN | off */
  JT808_MUCK_LID: Type.Optional(Type.String({ maxLength: 16 })),
  /** A dispatch sends its task as a text message to the unit's terminal (true|false). */
  JT808_TEXT_ON_DISPATCH: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
  /** Minutes a text waits for a terminal that is not connected, or for its answer, before it expires. */
  JT808_TEXT_TTL_MIN: digits(5),
};

export interface Jt808Config {
  port: number | 'off';
  utcOffsetMin: number;
  limits: GatewayLimits;
  muck: MuckSignals;
  textOnDispatch: boolean;
  textTtlMs: number;
}

type Jt808Env = { [K in keyof typeof JT808_ENV]?: string };

/** Returns the settings, or the problems with them (one line each). */
export function jt808Config(e: Jt808Env, httpPort: number): { ok: true; config: Jt808Config } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const loaded = parseSignalSource(e.JT808_MUCK_LOAD ?? 'standard', true);
  const lid = e.JT808_MUCK_LID === undefined ? DEFAULT_MUCK_SIGNALS.lidSealed : parseSignalSource(e.JT808_MUCK_LID, false);
  if (!loaded) problems.push(`JT808_MUCK_LOAD: "${e.JT808_MUCK_LOAD}" is not standard, bit:N, !bit:N, tlv:0xNN, !tlv:0xNN or off`);
  if (!lid) problems.push(`JT808_MUCK_LID: "${e.JT808_MUCK_LID}" is not bit:N, !bit:N, tlv:0xNN, !tlv:0xNN or off`);
  const port = e.JT808_PORT === 'off' ? 'off' : e.JT808_PORT !== undefined ? Number(e.JT808_PORT) : httpPort === 0 ? 0 : 7808;
  if (typeof port === 'number' && port > 65535) problems.push(`JT808_PORT: ${port} is not a port`);
  const offset = Number(e.JT808_UTC_OFFSET_MIN ?? 480);
  if (Math.abs(offset) > 840) problems.push(`JT808_UTC_OFFSET_MIN: ${offset} is beyond ±14 h`);
  const positive = (name: keyof Jt808Env, v: string | undefined, def: number) => {
    const n = v === undefined ? def : Number(v);
    if (n < 1) problems.push(`${name}: must be at least 1`);
    return n;
  };
  const limits: GatewayLimits = {
    ...DEFAULT_GATEWAY_LIMITS,
    idleTimeoutMs: positive('JT808_IDLE_TIMEOUT_S', e.JT808_IDLE_TIMEOUT_S, DEFAULT_GATEWAY_LIMITS.idleTimeoutMs / 1000) * 1000,
    authTimeoutMs: positive('JT808_AUTH_TIMEOUT_S', e.JT808_AUTH_TIMEOUT_S, DEFAULT_GATEWAY_LIMITS.authTimeoutMs / 1000) * 1000,
    maxConnections: positive('JT808_MAX_CONNECTIONS', e.JT808_MAX_CONNECTIONS, DEFAULT_GATEWAY_LIMITS.maxConnections),
    framesPerSecond: positive('JT808_FRAMES_PER_S', e.JT808_FRAMES_PER_S, DEFAULT_GATEWAY_LIMITS.framesPerSecond),
  };
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: {
      port, utcOffsetMin: offset, limits, muck: { loaded: loaded!, lidSealed: lid! },
      textOnDispatch: (e.JT808_TEXT_ON_DISPATCH ?? 'true') === 'true',
      textTtlMs: positive('JT808_TEXT_TTL_MIN', e.JT808_TEXT_TTL_MIN, 60) * 60_000,
    },
  };
}

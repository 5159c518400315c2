/**
 * What a gateway (server/ingest/jt808, mqtt, http) may ask of the device registry. The
 * gateways depend on this port, not on the registry's tables, so that the protocol code
 * can be tested on its own and the registry can change its storage.
 *
 * Positions and readings never go through here: they go to the one ingest entry point
 * (`app.ingest.submit`, server/ingest/ingest.ts) with the source set by the gateway from
 * the authenticated connection — never from the payload.
 */
import type { DeviceProtocol } from '../../shared/schemas/devices.ts';

/** What a JT/T 808 terminal says of itself in 0x0100. */
export interface TerminalRegistration {
  protocol: 'jt808';
  /** The terminal's phone number from the message header (digits, leading zeros kept as sent). */
  deviceId: string;
  plate?: string;
  plateColor?: number;
  province?: number;
  city?: number;
  manufacturer?: string;
  model?: string;
  terminalId?: string;
  /** Remote address of the connection (shown to the admin). */
  address: string;
}

/**
 * The registry's answer. 'accepted' carries the auth code the terminal must present in
 * 0x0102 (JT/T 808 0x8100 result 0); 'quarantined' waits for an admin (the gateway answers
 * 0x8100 result 4, "terminal not in the database", so the terminal registers again later);
 * 'refused' under JT808_REGISTRATION=closed, or a rejected / disabled terminal.
 */
export type RegistrationResult =
  | { outcome: 'accepted'; entityId: string; authCode: string }
  | { outcome: 'quarantined'; detail: string }
  | { outcome: 'refused'; reason: 'closed' | 'rejected' | 'disabled' | 'plateTaken'; detail: string };

export type AuthResult = { ok: true; entityId: string } | { ok: false; reason: 'unknownDevice' | 'badAuthCode' | 'disabled' | 'quarantined' | 'rejected'; detail: string };

export interface DevicePort {
  /** Resolves once what it decided is stored: a terminal is answered (0x8100) with a code the store knows. */
  registerTerminal(req: TerminalRegistration, now: number): Promise<RegistrationResult>;
  authenticate(protocol: DeviceProtocol, deviceId: string, authCode: string, now: number): AuthResult;
  /** A connection-oriented device came or went (the device page shows it). */
  connected(protocol: DeviceProtocol, deviceId: string, address: string, now: number): void;
  disconnected(protocol: DeviceProtocol, deviceId: string, now: number): void;
  /**
   * Something a device sent was refused before the ingest (bad checksum, malformed TLV, bad
   * payload, unauthenticated report): counted per device and per reason, the last one kept
   * for the device page. `deviceId` is undefined when the bytes did not even say who sent them.
   */
  refused(protocol: DeviceProtocol, deviceId: string | undefined, reason: string, detail: string, now: number): void;
  /** The active device of `protocol` bound to an entity (a dispatch's text message goes to it). */
  deviceFor(entityId: string, protocol: DeviceProtocol): string | undefined;
}

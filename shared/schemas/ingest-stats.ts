/**
 * GET /api/ingest/stats: what the ingest took and refused, per source, per reason and per
 * device, with the normalisation each source gets and the failures the server survived.
 */
import { Type, type Static } from 'typebox';

const Counts = Type.Record(Type.String(), Type.Integer());

export const SourceStatsView = Type.Object({
  accepted: Type.Integer(),
  /** Accepted as late (older than the live state): stored in history, the live state unchanged. */
  late: Type.Integer(),
  dropped: Type.Integer(),
  droppedByReason: Counts,
  /** Positions refused while the status and readings they came with were taken. */
  positionsDropped: Counts,
  /** Fixes within the source's minimum distance, kept at the current place. */
  jitterSnapped: Type.Integer(),
  policy: Type.Object({
    maxFutureS: Type.Number(), maxAgeS: Type.Number(), maxSpeedKph: Type.Number(),
    minDistanceM: Type.Number(), maxAccuracyM: Type.Union([Type.Number(), Type.Null()]), crs: Type.String(),
  }),
});

export const DeviceRefusalsView = Type.Object({
  protocol: Type.String(), deviceId: Type.String(), entityId: Type.Union([Type.String(), Type.Null()]),
  accepted: Type.Integer(), refused: Type.Integer(),
  lastRefusal: Type.Union([Type.Object({ at: Type.Number(), reason: Type.String(), detail: Type.String() }), Type.Null()]),
});

export const IngestStatsView = Type.Object({
  accepted: Type.Integer(),
  late: Type.Integer(),
  dropped: Counts,
  bySource: Type.Record(Type.String(), SourceStatsView),
  /** Real devices with refusals, most refused first (at most 100). */
  devices: Type.Array(DeviceRefusalsView),
  /** Refusals no registered device carries (no id, an unknown id, registration closed), by protocol and reason. */
  unattributed: Type.Record(Type.String(), Counts),
  /** Timer, socket-handler and listener failures the server caught and survived, by name. */
  failures: Counts,
  /** What this server's gateways offer the device page (the HTTP gateway's ingest keys, the JT/T 808 gateway's text messages). */
  capabilities: Type.Object({ ingestKeys: Type.Boolean(), terminalText: Type.Boolean() }),
  recentDrops: Type.Array(Type.Object({ at: Type.Number(), source: Type.String(), deviceId: Type.String(), reason: Type.String(), detail: Type.String() })),
});
export type IngestStatsView = Static<typeof IngestStatsView>;

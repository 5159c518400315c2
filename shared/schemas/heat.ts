/**
 * HTTP contracts of the heat charts (server/heat): a weighted point layer for the map, the
 * street × hour-of-day matrix and the per-day calendar. Times are ms since epoch; hours and
 * days are the district's local time (pack meta.timezone).
 */
import { Type, type Static } from 'typebox';

/** What a heat layer counts: cases by where they are, alarms by where they were raised, units by where they spent their time. */
export const HEAT_KINDS = ['cases', 'alarms', 'units'] as const;
export type HeatKind = (typeof HEAT_KINDS)[number];
/** The matrix and the calendar count events; dwell has no street × hour meaning here. */
export const HEAT_EVENT_KINDS = ['cases', 'alarms'] as const;
export type HeatEventKind = (typeof HEAT_EVENT_KINDS)[number];

/** The longest window any heat request answers: a quarter (93 days). */
export const HEAT_MAX_WINDOW_MS = 93 * 86_400_000;
/** Units' dwell is kept in memory per hour (≈50 KiB an hour of the whole fleet): a month at most. */
export const HEAT_UNITS_MAX_WINDOW_MS = 31 * 86_400_000;
/** The most points one heat layer answer holds (the heaviest cells first). */
export const HEAT_MAX_POINTS = 5000;
/** Side of a heat cell, metres. */
export const HEAT_CELL_M = 100;
export const HEAT_CALENDAR_MAX_DAYS = 93;

const window = {
  from: Type.Optional(Type.Integer({ minimum: 0, description: 'Window start, ms since epoch (inclusive); default `to` − 24 h' })),
  to: Type.Optional(Type.Integer({ minimum: 0, description: 'Window end, ms since epoch (exclusive); default now. At most 93 days after `from`' })),
};
const street = Type.Optional(Type.String({ pattern: '^[0-9]{9}$', description: 'Only this street (街道), 9-digit code, e.g. 370102004' }));

export const HeatQuery = Type.Object({
  kind: Type.Enum([...HEAT_KINDS], { description: 'cases (where they are), alarms (where they were raised), units (where staff, vehicles and muck trucks spent their time, from history)' }),
  ...window,
  street,
}, { additionalProperties: false });
export type HeatQuery = Static<typeof HeatQuery>;

/** `[lon, lat, weight]`: a cell's centre (WGS-84, 5 decimals) and its weight. */
export const HeatPoint = Type.Tuple([Type.Number(), Type.Number(), Type.Number()]);

export const HeatResponse = Type.Object({
  kind: Type.Enum([...HEAT_KINDS]),
  from: Type.Number(),
  to: Type.Number(),
  street: Type.Union([Type.String(), Type.Null()]),
  cellM: Type.Number({ description: 'Side of a cell, metres' }),
  unit: Type.Enum(['count', 'seconds'], { description: 'What a weight is: events in the cell, or seconds units spent in it (dwell)' }),
  points: Type.Array(HeatPoint, { description: `[lon, lat, weight] per cell, heaviest first, at most ${HEAT_MAX_POINTS}` }),
  total: Type.Number({ description: 'Sum of all weights in the window, cells cut by the cap included' }),
  max: Type.Number({ description: 'Largest weight of a cell (0 when empty)' }),
  truncated: Type.Boolean({ description: 'True when cells beyond the cap were left out' }),
  pendingHours: Type.Integer({ description: 'units: hours of the window not computed from history yet (a request decodes at most ~150 ms of it, a background warmer the rest within a minute or two): the layer is partial, ask again. 0 otherwise' }),
});
export type HeatResponse = Static<typeof HeatResponse>;

export const StreetHourQuery = Type.Object({
  kind: Type.Optional(Type.Enum([...HEAT_EVENT_KINDS], { description: 'cases (by creation time, default) or alarms (by start time)' })),
  ...window,
}, { additionalProperties: false });
export type StreetHourQuery = Static<typeof StreetHourQuery>;

export const StreetHourResponse = Type.Object({
  kind: Type.Enum([...HEAT_EVENT_KINDS]),
  from: Type.Number(),
  to: Type.Number(),
  timeZone: Type.String(),
  streets: Type.Array(Type.Object({ code: Type.String(), name: Type.String() }), { description: "The district's streets in pack order: the rows" }),
  counts: Type.Array(Type.Array(Type.Integer(), { minItems: 24, maxItems: 24 }), { description: 'counts[street][hour]: events in that street in that local hour of day (0–23), summed over the window' }),
  total: Type.Integer(),
});
export type StreetHourResponse = Static<typeof StreetHourResponse>;

export const CalendarQuery = Type.Object({
  kind: Type.Optional(Type.Enum([...HEAT_EVENT_KINDS], { description: 'cases (default) or alarms' })),
  days: Type.Optional(Type.Integer({ minimum: 1, maximum: HEAT_CALENDAR_MAX_DAYS, description: 'Local days ending today (default 30)' })),
  street: Type.Optional(Type.String({ pattern: '^[0-9]{9}$', description: 'Only this street (街道), 9-digit code' })),
}, { additionalProperties: false });
export type CalendarQuery = Static<typeof CalendarQuery>;

export const CalendarResponse = Type.Object({
  kind: Type.Enum([...HEAT_EVENT_KINDS]),
  timeZone: Type.String(),
  days: Type.Array(Type.Object({ day: Type.String({ description: 'YYYY-MM-DD, local' }), count: Type.Integer() }), { description: 'Oldest first, every day present (0 when none), today last' }),
  total: Type.Integer(),
});
export type CalendarResponse = Static<typeof CalendarResponse>;

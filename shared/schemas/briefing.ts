/**
 * HTTP contract of the leaders' briefing (GET /api/briefing): the KPIs of a period against
 * the previous period of equal length, trends, the streets and departments ranked by the
 * national indicators (each with its definition), 7123 compliance and muck-truck violations
 * by company. Rates are null when nothing counts towards them (no case due): shown as "—".
 */
import { Type, type Static } from 'typebox';

export const BRIEFING_PERIODS = ['today', 'yesterday', 'week', 'month', 'custom'] as const;
export type BriefingPeriodKind = (typeof BRIEFING_PERIODS)[number];

/** The longest custom period, in local days: a quarter. */
export const BRIEFING_MAX_DAYS = 92;

export const BriefingQuery = Type.Object({
  period: Type.Optional(Type.Enum([...BRIEFING_PERIODS], { description: 'today (local midnight → now) · yesterday · week (the 7 local days up to now) · month (the 30 local days up to now) · custom (from..to); default yesterday' })),
  from: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'custom only: first local date YYYY-MM-DD (inclusive)' })),
  to: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'custom only: last local date YYYY-MM-DD (inclusive); at most 92 days after from' })),
}, { additionalProperties: false });
export type BriefingQuery = Static<typeof BriefingQuery>;

const Window = Type.Object({
  from: Type.Number({ description: 'ms since epoch, inclusive' }),
  to: Type.Number({ description: 'ms since epoch, exclusive (now, for a period that runs to now)' }),
  fromDate: Type.String({ description: 'first local date' }),
  toDate: Type.String({ description: 'last local date' }),
});

const Rate = Type.Union([Type.Number({ description: '0..1' }), Type.Null()], { description: 'null when its denominator is 0 (shown as —)' });

export const IndicatorDefinition = Type.Object({
  key: Type.String(),
  name: Type.String(),
  nameEn: Type.String(),
  definition: Type.String(),
  definitionEn: Type.String(),
  unit: Type.Union([Type.Literal('count'), Type.Literal('rate'), Type.Literal('min'), Type.Literal('h')]),
  /** A higher value is better (for the colour of a delta and the default sort). */
  higherIsBetter: Type.Boolean(),
});
export type IndicatorDefinition = Static<typeof IndicatorDefinition>;

export const BriefingKpi = Type.Object({
  key: Type.String(),
  value: Type.Union([Type.Number(), Type.Null()]),
  previous: Type.Union([Type.Number(), Type.Null()]),
});

export const RankingRow = Type.Object({
  code: Type.String(),
  name: Type.String(),
  /** 立案数 */
  registered: Type.Integer(),
  /** cases whose closure deadline fell in the period (the denominator of the rates) */
  due: Type.Integer(),
  closed: Type.Integer(),
  closedOnTime: Type.Integer(),
  dispatchedOnTime: Type.Integer(),
  dispatched: Type.Integer(),
  reworked: Type.Integer(),
  closureRate: Rate,
  onTimeClosureRate: Rate,
  onTimeDispatchRate: Rate,
  reworkRate: Rate,
});
export type RankingRow = Static<typeof RankingRow>;

const Compliance = Type.Object({ met: Type.Integer(), total: Type.Integer(), rate: Rate });

export const BriefingResponse = Type.Object({
  district: Type.String(),
  timeZone: Type.String(),
  generatedTs: Type.Number(),
  period: Type.Intersect([Type.Object({ kind: Type.Enum([...BRIEFING_PERIODS]) }), Window]),
  previous: Window,
  definitions: Type.Array(IndicatorDefinition),
  kpis: Type.Array(BriefingKpi),
  trend: Type.Object({
    bucket: Type.Union([Type.Literal('hour'), Type.Literal('day')]),
    /** local 'HH:00' or 'MM-DD' per bucket */
    labels: Type.Array(Type.String()),
    reported: Type.Array(Type.Integer()),
    closed: Type.Array(Type.Integer()),
    alarms: Type.Array(Type.Integer()),
  }),
  streets: Type.Array(RankingRow),
  departments: Type.Array(RankingRow),
  compliance: Type.Object({
    arrival: Compliance,
    closure: Type.Object({ small: Compliance, big: Compliance, hard: Compliance }),
  }),
  muck: Type.Array(Type.Object({
    company: Type.String(),
    trucks: Type.Integer({ description: 'trucks of the company in the pack' }),
    violatingTrucks: Type.Integer(),
    total: Type.Integer(),
    byType: Type.Record(Type.String(), Type.Integer()),
  })),
});
export type BriefingResponse = Static<typeof BriefingResponse>;

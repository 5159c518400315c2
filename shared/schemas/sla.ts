/** HTTP contracts of the SLA clocks (7123): the settings an admin reads and changes, and the clock shape. */
import { Type, type Static } from 'typebox';

export const SlaSettingsSchema = Type.Object({
  arrivalMin: Type.Number({ minimum: 1, maximum: 120, description: 'Minutes from dispatch of an emergency to face-to-face arrival (7 in 7123).' }),
  closureDays: Type.Object({
    small: Type.Integer({ minimum: 1, maximum: 30, description: '简易 small matters, days (1)' }),
    big: Type.Integer({ minimum: 1, maximum: 30, description: '一般 big matters, days (2)' }),
    hard: Type.Integer({ minimum: 1, maximum: 30, description: '疑难 hard matters, days (3)' }),
  }, { additionalProperties: false, description: 'Days from registration (立案) to closure by difficulty.' }),
  warnLeadShare: Type.Number({ minimum: 0, maximum: 0.9, description: 'Warn (amber) this share of the target before the due time: 0.2 → amber at 80 % of the target; 0 → no warning.' }),
  dayMode: Type.Union([Type.Literal('calendar'), Type.Literal('working')], { description: "'calendar': a day is 24 h; 'working': only time on working days of the district calendar counts (weekends and holidays skipped, 调休 workdays counted)." }),
  escalateDeptAfterArrivalMin: Type.Number({ minimum: 0, maximum: 240, description: 'Minutes after an arrival breach (street notified) until the district department is notified (吹哨 level 2).' }),
  escalateDeptAfterClosureH: Type.Number({ minimum: 0, maximum: 168, description: 'Hours after a closure breach (street notified) until the district department is notified (吹哨 level 2).' }),
}, {
  additionalProperties: false,
  $id: 'SlaSettings',
  description: 'SLA (7123) settings. A change applies to clocks started afterwards; running clocks keep the targets, warning lead, day counting and escalation delay they started with.',
});
export type SlaSettingsBody = Static<typeof SlaSettingsSchema>;

export const SlaClockSchema = Type.Object({
  id: Type.Integer(),
  caseId: Type.Integer(),
  kind: Type.Union([Type.Literal('arrival'), Type.Literal('closure')]),
  state: Type.Union(['running', 'paused', 'warned', 'met', 'breached'].map((s) => Type.Literal(s))),
  startTs: Type.Number(),
  dueTs: Type.Number(),
  warnTs: Type.Number(),
  endTs: Type.Union([Type.Number(), Type.Null()]),
  pausedMs: Type.Number(),
  pausedSince: Type.Union([Type.Number(), Type.Null()]),
  escalationLevel: Type.Integer({ minimum: 0, maximum: 2 }),
  cancelled: Type.Optional(Type.Boolean({ description: 'Stopped because the case was voided or closed before its end event; state stays as it was.' })),
}, { $id: 'SlaClock' });

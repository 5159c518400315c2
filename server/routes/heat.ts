import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponse } from '../../shared/schemas/http.ts';
import {
  CalendarQuery, CalendarResponse, HEAT_MAX_POINTS, HEAT_MAX_WINDOW_MS, HEAT_UNITS_MAX_WINDOW_MS, HeatQuery, HeatResponse, StreetHourQuery, StreetHourResponse,
} from '../../shared/schemas/heat.ts';
import type { HeatService } from '../heat/heat-service.ts';
import { HttpError } from '../http-error.ts';

const DAY_MS = 86_400_000;
/** The wall reads the heat layer with its display token; the desk and leaders with a session. Crews do not. */
const READERS = ['wall', 'dispatcher', 'leader', 'admin'] as const;
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse };

/** Read-only heat charts over cases, alarms and history: nothing to audit. */
const heat: FastifyPluginAsyncTypebox<{ service: HeatService; now: () => number }> = async (app, { service, now }) => {
  /** [from, to) from the query: defaults (the last 24 h), order and the 93-day cap, each refusal naming its field. */
  const window = (q: { from?: number | undefined; to?: number | undefined }) => {
    const to = q.to ?? now();
    const from = q.from ?? to - DAY_MS;
    if (from >= to) throw new HttpError(400, 'bad_request', `to: must be after from (from ${from}, to ${to})`);
    if (to - from > HEAT_MAX_WINDOW_MS) throw new HttpError(400, 'bad_request', `to: the window from..to is ${to - from} ms, at most ${HEAT_MAX_WINDOW_MS} (93 days)`);
    return { from, to };
  };
  const checkStreet = (street: string | undefined) => {
    if (street !== undefined && !service.isStreet(street)) throw new HttpError(400, 'bad_request', `street: ${street} is not a street of this district`);
  };

  app.get('/api/heat', {
    onRequest: app.auth.requireRole(...READERS),
    schema: {
      tags: ['heat'],
      description: `Weighted points for a map heat layer over [from, to) (default the last 24 h, at most 93 days; 31 for units): cases where they were created (voided ones left out), alarms where they were raised, or units (staff, vehicles, muck trucks) by the seconds they spent in each 100 m cell, from history — units in whole hours (from rounded down, to up; the answer says which). Cells as [lon, lat, weight], heaviest first, at most ${HEAT_MAX_POINTS}. street: only that street (by place). Roles: wall, dispatcher, leader, admin.`,
      querystring: HeatQuery,
      response: { 200: HeatResponse, ...errors },
    },
  }, async (req) => {
    const { from, to } = window(req.query);
    if (req.query.kind === 'units' && to - from > HEAT_UNITS_MAX_WINDOW_MS) {
      throw new HttpError(400, 'bad_request', `to: for units the window from..to is at most ${HEAT_UNITS_MAX_WINDOW_MS} ms (31 days), got ${to - from}`);
    }
    checkStreet(req.query.street);
    return service.heat(req.query.kind, from, to, req.query.street);
  });

  app.get('/api/heat/street-hour', {
    onRequest: app.auth.requireRole(...READERS),
    schema: {
      tags: ['heat'],
      description: "Cases (by creation) or alarms (by start) per street (the district's 13, pack order) × local hour of day (pack time zone), summed over [from, to) (default the last 24 h, at most 93 days). Roles: wall, dispatcher, leader, admin.",
      querystring: StreetHourQuery,
      response: { 200: StreetHourResponse, ...errors },
    },
  }, async (req) => {
    const { from, to } = window(req.query);
    return service.streetHour(req.query.kind ?? 'cases', from, to);
  });

  app.get('/api/heat/calendar', {
    onRequest: app.auth.requireRole(...READERS),
    schema: {
      tags: ['heat'],
      description: 'Cases or alarms per local day for the last `days` days (default 30, at most 93), today included so far; optionally of one street. Roles: wall, dispatcher, leader, admin.',
      querystring: CalendarQuery,
      response: { 200: CalendarResponse, ...errors },
    },
  }, async (req) => {
    checkStreet(req.query.street);
    return service.calendar(req.query.kind ?? 'cases', req.query.days ?? 30, req.query.street);
  });
};

export default heat;

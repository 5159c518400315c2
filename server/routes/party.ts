import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponse } from '../../shared/schemas/http.ts';
import { PartyQuery, PartyResponse } from '../../shared/schemas/party.ts';
import { HttpError } from '../http-error.ts';
import { partyView } from '../party/party-view.ts';

/** 党建+业务 一屏通办: the party panel of the wall and the briefing. Read-only. */
const party: FastifyPluginAsyncTypebox<{ now: () => number }> = async (app, opts) => {
  const pack = app.district.pack;
  const streets = pack.streets.features.map((f) => ({ code: f.properties.code, name: f.properties.name }));
  const streetCodes = new Set(streets.map((s) => s.code));
  app.get('/api/party', {
    onRequest: app.auth.requireRole('wall', 'dispatcher', 'leader', 'admin'),
    schema: {
      tags: ['party'],
      description: 'Grid party branches (网格党支部) and party members on duty by street — on duty when the member\'s live staff entity is on shift (or calling SOS) — and the pioneer posts (先锋驿站) with name, address, services and hours. From the district pack\'s party.json; configured=false and empty lists without one.',
      querystring: PartyQuery,
      response: { 200: PartyResponse, 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse },
    },
  }, async (req) => {
    const { street } = req.query;
    if (street !== undefined && !streetCodes.has(street)) throw new HttpError(400, 'bad_request', `street: ${street} is not a street of the district`);
    return partyView({
      party: pack.party, streets, now: opts.now(), ...(street !== undefined ? { street } : {}),
      onDuty: (id) => {
        const e = app.live.get(id);
        return e?.kind === 'staff' && (e.status === 'onDuty' || e.status === 'sos');
      },
    });
  });
};
export default party;

/**
 * Open311 GeoReport v2 under /open311/v2: discovery, services, service definitions, requests
 * (POST as form-urlencoded, multipart/form-data with a `media` photo, or JSON), tokens, and
 * the rating extension. The format is the file suffix (.json or .xml); every refusal — ours,
 * a body that does not parse, an unknown route, a crash — is the spec's error list in that
 * format. Registered as its own encapsulated context, so its error handler, form parser and
 * multipart parser apply here only.
 *
 * Also the staff side: API keys (admin), the reporter's private contact (dispatcher, admin)
 * and the report page's public configuration.
 */
import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import multipart from '@fastify/multipart';
import { OPEN311_SPEC_URL, type Open311Format, type ReportPageConfig } from '../../shared/open311.ts';
import { ErrorResponse, IdParams } from '../../shared/schemas/http.ts';
import { CreateOpen311KeyBody, CreatedOpen311Key, Open311KeySchema, ReportPageConfigSchema, ReporterSchema } from '../../shared/schemas/open311.ts';
import { HttpError } from '../http-error.ts';
import { CONTENT_TYPES, ordered, serialise, ATTRIBUTE_FIELDS, REQUEST_FIELDS, SERVICE_FIELDS, SUBMITTED_FIELDS } from '../open311/serialise.ts';
import { open311Error, refuse } from '../open311/errors.ts';
import type { Locale, Open311RequestsService } from '../open311/requests-service.ts';
import type { Open311KeysRepo } from '../open311/keys-repo.ts';
import type { AttributeInput } from '../open311/attributes.ts';

export const OPEN311_PREFIX = '/open311/v2';

export interface Open311RoutesOptions {
  service: Open311RequestsService;
  keys: Open311KeysRepo;
  /** Seconds to wait when the key (or, for the report page's shared key, the client address) is over its rate; 0 to go on. */
  rateLimit: (keyId: number, clientAddress: string) => Promise<number>;
  photoMaxBytes: number;
  publicUrl: string | undefined;
  contact: string;
  now: () => number;
}

type Fields = Record<string, string | string[]>;

/** The format of a URL by its suffix; json when it has none we know (errors for unknown routes). */
const formatOfUrl = (url: string): Open311Format => (url.split('?')[0]!.toLowerCase().endsWith('.xml') ? 'xml' : 'json');

/** "requests.json" → ["requests", "json"]; the last dot splits (service codes hold dots). */
function splitFile(file: string): { name: string; format: Open311Format } {
  const dot = file.lastIndexOf('.');
  const ext = dot < 0 ? '' : file.slice(dot + 1).toLowerCase();
  if (ext !== 'json' && ext !== 'xml') throw refuse(404, `${file.slice(0, 80)}: add .json or .xml to choose the format`);
  return { name: file.slice(0, dot), format: ext };
}

function localeOf(req: FastifyRequest, fields?: Fields): Locale {
  const q = (req.query as Record<string, string | undefined>).locale ?? one(fields?.locale);
  if (q !== undefined) return q.toLowerCase().startsWith('en') ? 'en' : 'zh';
  const first = String(req.headers['accept-language'] ?? '').split(',')[0]!.trim().toLowerCase();
  return first.startsWith('en') ? 'en' : 'zh';
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** Form fields (URLSearchParams or a JSON object): repeated names become lists. */
function parseForm(text: string): Fields {
  const out: Fields = {};
  for (const [k, v] of new URLSearchParams(text)) add(out, k, v);
  return out;
}

function add(out: Fields, k: string, v: string): void {
  const prev = out[k];
  out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
}

function fromJson(body: unknown): Fields {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw refuse(400, 'the JSON body must be an object of fields');
  const out: Fields = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out[k] = v as string[];
    else if (k === 'attribute' && v && typeof v === 'object') {
      for (const [code, val] of Object.entries(v as Record<string, unknown>)) {
        if (typeof val === 'string' || typeof val === 'number') out[`attribute[${code}]`] = String(val);
        else if (Array.isArray(val)) out[`attribute[${code}]`] = val.map(String);
        else throw refuse(400, `attribute[${code}] must be a string, a number or a list`);
      }
    } else if (v !== null) throw refuse(400, `${k.slice(0, 40)} must be a string`);
  }
  return out;
}

/** attribute[code] and attribute[code][] fields, by code. */
function attributesOf(fields: Fields): AttributeInput {
  const out: AttributeInput = {};
  for (const [k, v] of Object.entries(fields)) {
    const m = /^attribute\[([^\]]{1,64})\](\[\])?$/.exec(k);
    if (!m) continue;
    const prev = out[m[1]!];
    const vals = Array.isArray(v) ? v : [v];
    out[m[1]!] = prev === undefined ? (m[2] ? vals : v) : [...(Array.isArray(prev) ? prev : [prev]), ...vals];
  }
  return out;
}

const flat = (fields: Fields): Record<string, string | undefined> => Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, one(v)]));

/**
 * The public reads need no key, and a full `requests` answer costs real work (half a second at
 * the cap): each client address gets this many reads a minute, then 429 in the spec's form. A
 * status page polling every 20 s uses 3. One handler, so one count across all the read routes.
 */
export const OPEN311_READS_PER_MIN_PER_ADDRESS = 240;

export const open311Routes: FastifyPluginAsyncTypebox<Open311RoutesOptions> = async (app, opts) => {
  const { service } = opts;
  const send = (reply: FastifyReply, format: Open311Format, root: string, value: unknown, status = 200) =>
    reply.status(status).type(CONTENT_TYPES[format]).header('cache-control', 'no-store').send(serialise(format, root, value));
  const reads = { onRequest: app.rateLimit({ max: OPEN311_READS_PER_MIN_PER_ADDRESS, timeWindow: '1 minute' }) };
  const origin = (req: FastifyRequest) => opts.publicUrl ?? `${req.protocol}://${req.host}`;
  const query = (req: FastifyRequest) => flat(req.query as Fields);

  app.setErrorHandler((err, req, reply) => {
    const { status, errors } = open311Error(err, req.id);
    if (status >= 500) req.log.error({ err, reqId: req.id }, 'open311 request failed');
    if (status === 429 && err instanceof HttpError && typeof err.details === 'number') reply.header('retry-after', String(err.details));
    return send(reply, formatOfUrl(req.url), 'errors', errors, status);
  });
  app.setNotFoundHandler((req, reply) => send(reply, formatOfUrl(req.url), 'errors', [{ code: 404, description: `no such Open311 resource: ${req.method} ${req.url.split('?')[0]!.slice(0, 120)}` }], 404));

  await app.register(multipart, { limits: { fileSize: opts.photoMaxBytes, files: 1, fields: 60, fieldSize: 16 * 1024, parts: 61 } });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    try { done(null, parseForm(body as string)); } catch { done(refuse(400, 'the form body could not be read'), undefined); }
  });

  /** The fields of a POST (form, JSON or multipart) and its `media` photo, if any. */
  async function readBody(req: FastifyRequest): Promise<{ fields: Fields; photo: { bytes: Buffer; filename: string } | null }> {
    if (!req.isMultipart()) {
      if (req.body === undefined || req.body === null) return { fields: {}, photo: null };
      const ct = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (ct === 'application/json') return { fields: fromJson(req.body), photo: null };
      if (ct === 'application/x-www-form-urlencoded') return { fields: req.body as Fields, photo: null };
      // text/plain and the like: Fastify parses them, Open311 does not take them.
      throw refuse(415, 'unsupported content type: send application/x-www-form-urlencoded, multipart/form-data or JSON');
    }
    const fields: Fields = {};
    let photo: { bytes: Buffer; filename: string } | null = null;
    try {
      for await (const part of req.parts()) {
        if (part.type === 'file') {
          if (part.fieldname !== 'media') {
            part.file.resume();
            throw refuse(400, `${part.fieldname.slice(0, 40)}: the only file field is media (a JPEG, PNG or WebP photo)`);
          }
          photo = { bytes: await part.toBuffer(), filename: part.filename };
        } else {
          add(fields, part.fieldname, String(part.value));
        }
      }
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'FST_REQ_FILE_TOO_LARGE') throw refuse(413, `media: the photo is larger than ${opts.photoMaxBytes} bytes`);
      if (code === 'FST_FILES_LIMIT') throw refuse(413, 'media: send one photo per request');
      if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT') throw refuse(413, 'too many form fields');
      if (err instanceof HttpError) throw err;
      throw refuse(400, 'the multipart body could not be read');
    }
    return { fields, photo };
  }

  app.get('/:file', { ...reads, schema: { tags: ['open311'], description: 'GeoReport v2: discovery.json|xml, services.json|xml, requests.json|xml (service_request_id, service_code, status, start_date, end_date, extensions=true, locale).' } }, async (req, reply) => {
    const { name, format } = splitFile((req.params as { file: string }).file);
    const q = query(req);
    service.checkJurisdiction(q.jurisdiction_id);
    const locale = localeOf(req);
    switch (name) {
      case 'discovery': {
        const url = `${origin(req)}${OPEN311_PREFIX}/`;
        return send(reply, format, 'discovery', {
          changeset: '2026-11-28T00:00:00+08:00',
          contact: opts.contact,
          key_service: `${opts.contact} — API keys are issued by the district's administrators`,
          endpoints: [{ specification: OPEN311_SPEC_URL, url, changeset: '2026-11-28T00:00:00+08:00', type: 'production', formats: ['text/xml', 'application/json'] }],
        });
      }
      case 'services':
        return send(reply, format, 'services', service.services(locale).map((s) => ordered(s, SERVICE_FIELDS)));
      case 'requests': {
        const ext = q.extensions === 'true';
        return send(reply, format, 'service_requests', (await service.list(q, locale, origin(req), ext)).map((r) => ordered(r, REQUEST_FIELDS)));
      }
      default:
        throw refuse(404, `no such Open311 resource: ${name.slice(0, 80)}`);
    }
  });

  app.get('/services/:file', { ...reads, schema: { tags: ['open311'], description: 'GeoReport v2 service definition: services/{service_code}.json|xml with its attributes.' } }, async (req, reply) => {
    const { name, format } = splitFile((req.params as { file: string }).file);
    service.checkJurisdiction(query(req).jurisdiction_id);
    const def = service.definition(name, localeOf(req));
    return send(reply, format, 'service_definition', { service_code: def.service_code, attributes: def.attributes.map((a) => ordered(a, ATTRIBUTE_FIELDS)) });
  });

  app.get('/requests/:file', { ...reads, schema: { tags: ['open311'], description: 'GeoReport v2: one request, requests/{service_request_id}.json|xml (extensions=true adds extended_attributes).' } }, async (req, reply) => {
    const { name, format } = splitFile((req.params as { file: string }).file);
    const q = query(req);
    service.checkJurisdiction(q.jurisdiction_id);
    const r = await service.one(name, localeOf(req), origin(req), q.extensions === 'true');
    return send(reply, format, 'service_requests', [ordered(r, REQUEST_FIELDS)]);
  });

  app.get('/tokens/:file', { ...reads, schema: { tags: ['open311'], description: 'GeoReport v2: tokens/{token}.json|xml → the service_request_id.' } }, async (req, reply) => {
    const { name, format } = splitFile((req.params as { file: string }).file);
    service.checkJurisdiction(query(req).jurisdiction_id);
    return send(reply, format, 'service_requests', await service.token(name));
  });

  app.post('/:file', { schema: { tags: ['open311'], description: 'GeoReport v2: POST requests.json|xml — form-urlencoded, multipart/form-data (media photo) or JSON; api_key, service_code, lat+long or address_string, description, media_url, attribute[code], contact fields.' } }, async (req, reply) => {
    const { name, format } = splitFile((req.params as { file: string }).file);
    if (name !== 'requests') throw refuse(404, `no such Open311 resource: POST ${name.slice(0, 80)}`);
    const { fields, photo } = await readBody(req);
    const f = flat(fields);
    service.checkJurisdiction(f.jurisdiction_id ?? query(req).jurisdiction_id);
    const key = await service.authenticate(f.api_key ?? query(req).api_key);
    const wait = await opts.rateLimit(key.id, req.ip);
    if (wait > 0) throw new HttpError(429, 'open311_429', `rate limit of this api_key reached: try again in ${wait} s`, wait);
    const submitted = await service.submit(key, { fields: f, attributes: attributesOf(fields), photo, locale: localeOf(req, fields) });
    return send(reply, format, 'service_requests', submitted.map((s) => ordered(s, SUBMITTED_FIELDS)));
  });

  app.post('/requests/:id/:file', { schema: { tags: ['open311'], description: 'Extension 评议: POST requests/{id}/rating.json|xml with rating_key, score 1–5, comment — once the request is closed.' } }, async (req, reply) => {
    const { id, file } = req.params as { id: string; file: string };
    const { name, format } = splitFile(file);
    if (name !== 'rating') throw refuse(404, `no such Open311 resource: POST requests/${id.slice(0, 40)}/${name.slice(0, 40)}`);
    const { fields } = await readBody(req);
    const f = flat(fields);
    service.checkJurisdiction(f.jurisdiction_id ?? query(req).jurisdiction_id);
    const r = await service.rate(id, f, localeOf(req, fields), origin(req));
    return send(reply, format, 'service_requests', [ordered(r, REQUEST_FIELDS)]);
  });
};

export interface Open311AdminOptions {
  service: Open311RequestsService;
  keys: Open311KeysRepo;
  reportPage: () => Promise<ReportPageConfig>;
  now: () => number;
}

/** The staff side of Open311: keys (admin), the reporter's contact (dispatcher, admin), the report page's public config. */
export const open311AdminRoutes: FastifyPluginAsyncTypebox<Open311AdminOptions> = async (app, { service, keys, reportPage, now }) => {
  const adminOnly = app.auth.requireRole('admin');
  const denied = { 401: ErrorResponse, 403: ErrorResponse };
  const tags = ['open311'];

  app.get('/api/open311-keys', { onRequest: adminOnly, schema: { tags, description: 'Open311 API keys (never the keys themselves).', response: { 200: Type.Array(Open311KeySchema), ...denied } } }, async () => keys.list());

  app.post('/api/open311-keys', {
    onRequest: adminOnly,
    schema: { tags, description: 'Issue an Open311 API key for a channel (citizenPhoto: apps and pages; hotline: a 12345 system). The key is shown once.', body: CreateOpen311KeyBody, response: { 201: CreatedOpen311Key, 400: ErrorResponse, ...denied } },
  }, async (req, reply) => {
    const { key, row } = await keys.create(req.body.name.trim(), req.body.source, req.principal!.name, now());
    await app.store.audit.record({ actor: req.principal!.name, action: 'open311Key.create', target: `open311Key:${row.id}`, detail: { name: row.name, source: row.source } });
    return reply.status(201).send({ ...row, key });
  });

  app.delete('/api/open311-keys/:id', {
    onRequest: adminOnly,
    schema: { tags, description: 'Revoke an Open311 API key. Revoking the report page\'s key rotates it: the next one is issued at once.', params: IdParams, response: { 204: Type.Null(), 404: ErrorResponse, ...denied } },
  }, async (req, reply) => {
    const row = await keys.get(req.params.id);
    if (!row || !(await keys.revoke(req.params.id, now()))) throw new HttpError(404, 'not_found', `no active Open311 key ${req.params.id}`);
    if (row.reportPage) await keys.reportPage(now());
    await app.store.audit.record({ actor: req.principal!.name, action: 'open311Key.revoke', target: `open311Key:${row.id}`, detail: { name: row.name, reportPage: row.reportPage } });
    return reply.status(204).send(null);
  });

  app.get('/api/cases/:id/reporter', {
    onRequest: app.auth.requireRole('dispatcher', 'admin'),
    schema: { tags, description: 'The private contact a citizen left with an Open311 request, and the key it came in by. Dispatchers and admins only; every read is audited.', params: IdParams, response: { 200: ReporterSchema, 404: ErrorResponse, ...denied } },
  }, async (req) => {
    const r = await service.reporter(req.params.id);
    if (!r) throw new HttpError(404, 'not_found', `case ${req.params.id} did not come in through Open311`);
    await app.store.audit.record({ actor: req.principal!.name, action: 'case.reporter.read', target: `case:${req.params.id}` });
    return r;
  });

  app.get('/api/report-page', {
    schema: { tags, description: 'Public configuration of the citizen report page (随手拍): its Open311 API key, the jurisdiction and the district\'s extent.', response: { 200: ReportPageConfigSchema } },
  }, async (_req, reply) => reply.header('cache-control', 'no-store').send(await reportPage()));
};

/**
 * Open311 on top of the cases module: services from the case taxonomy, a request becomes a
 * case (CasesPort.report) with the source of the key it came in by, and a case is read back
 * as a public service request — its stage as open/closed with a public sentence, the closure
 * clock's deadline as expected_datetime, photos as signed links. Nothing that names a person
 * (staff, crew, the reporter) is ever part of a public answer.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { OPEN_STAGES, type CaseDetail, type CaseStage, type TaxonomyItem, type TimelineEntry } from '../../shared/cases.ts';
import type { DistrictMeta } from '../../shared/district.ts';
import {
  OPEN311_PUBLIC_SOURCES, type Open311Event, type Open311ExtendedAttributes, type Open311Key, type Open311Request,
  type Open311Service, type Open311ServiceDefinition, type Open311Submitted, type Open311Token,
} from '../../shared/open311.ts';
import type { AlarmType } from '../../shared/alarms.ts';
import { HttpError } from '../http-error.ts';
import type { Actor, CasesPort } from '../ops/ports.ts';
import { sniffImageType, type PhotoFiles } from '../cases/photo-files.ts';
import { attributesFor, validateAttributes, type AttributeInput } from './attributes.ts';
import { formatLocal, parseRequestFilters } from './dates.ts';
import { isRepeat, REPEAT_RADIUS_M, REPEAT_WINDOW_MS } from './dedup.ts';
import { refuse } from './errors.ts';
import type { Gazetteer } from './gazetteer.ts';
import type { Open311KeysRepo } from './keys-repo.ts';
import type { Open311Link, Open311RequestsRepo, ReporterContact } from './requests-repo.ts';
import { SerialWriter } from '../store/sql/serial-writer.ts';
import type { SqlTx } from '../store/sql/types.ts';
import type { UnitOfWork } from '../store/sql/unit-of-work.ts';

export type Locale = 'zh' | 'en';

/** Alarm types that only machines and the duty desk raise: their items are not citizens' to report. */
const INTERNAL_ALARMS: ReadonlySet<AlarmType> = new Set<AlarmType>(['deviceOffline', 'staffSos', 'vehicleOverspeed', 'vehicleBannedHours', 'staffOutOfGrid', 'staffOffPost']);

/** Citizens may report every item but those raised only from the fleet's and devices' own data. */
export const citizenReportable = (item: TaxonomyItem): boolean => !(item.alarmTypes ?? []).some((a) => INTERNAL_ALARMS.has(a));

export const CLOSED_STAGES: readonly CaseStage[] = ['closed', 'evaluated', 'voided'];

const STATUS_NOTES: Readonly<Record<CaseStage, Record<Locale, string>>> = {
  reported: { zh: '已收到，等待受理', en: 'received, awaiting acceptance' },
  registered: { zh: '已立案，等待派遣', en: 'accepted, awaiting dispatch' },
  dispatched: { zh: '已派遣处置', en: 'dispatched to a crew' },
  handling: { zh: '正在处置', en: 'being dealt with' },
  fedBack: { zh: '已处置，等待核查', en: 'dealt with, awaiting verification' },
  verified: { zh: '已核查，等待结案', en: 'verified, about to be closed' },
  closed: { zh: '已结案', en: 'closed' },
  evaluated: { zh: '已结案并评价', en: 'closed and rated' },
  voided: { zh: '经核实不予立案，已作废', en: 'not taken up after review (voided)' },
};

const NOTICE: Readonly<Record<'emergency' | 'small' | 'big' | 'hard', Record<Locale, string>>> = {
  emergency: { zh: '紧急事项：处置人员应在派遣后 7 分钟内到场', en: 'urgent: a crew is due on site within 7 minutes of dispatch' },
  small: { zh: '按规定 1 天内处置完毕', en: 'due to be dealt with within 1 day' },
  big: { zh: '按规定 2 天内处置完毕', en: 'due to be dealt with within 2 days' },
  hard: { zh: '按规定 3 天内处置完毕', en: 'due to be dealt with within 3 days' },
};

const REPEAT_NOTICE: Record<Locale, (code: string) => string> = {
  zh: (code) => `已识别为重复提交，与 ${code} 为同一事项，未重复立案`,
  en: (code) => `recognised as a repeat of ${code}: no second request was opened`,
};

/** The public event of a timeline step, if it is one. */
export function publicEvent(e: TimelineEntry): Open311Event | null {
  switch (e.action) {
    case 'report': return 'received';
    case 'register': return 'registered';
    case 'dispatch': case 'reassign': case 'verifyFail': return 'dispatched';
    // 处置中: the crew took it on — accepted, on its way or arrived; the first of them counts.
    case 'accept': case 'enRoute': case 'arrive': return 'handling';
    case 'feedback': return 'handled';
    case 'verifyPass': return 'verified';
    case 'close': return 'closed';
    case 'rate': return 'rated';
    case 'approve': return e.toStage === 'voided' ? 'voided' : null;
    default: return null;
  }
}

export interface SubmitInput {
  fields: Record<string, string | undefined>;
  attributes: AttributeInput;
  photo: { bytes: Buffer; filename: string } | null;
  locale: Locale;
}

export interface Open311ServiceDeps {
  cases: CasesPort;
  keys: Open311KeysRepo;
  repo: Open311RequestsRepo;
  gazetteer: Gazetteer;
  photos: PhotoFiles;
  /** Path (no origin) of a signed link to a photo. */
  photoLink: (caseId: number, photoId: string) => string;
  meta: Pick<DistrictMeta, 'id' | 'adcode' | 'name' | 'nameEn' | 'timezone'>;
  /** Writes an audit entry; in the request's transaction when given `tx`. */
  audit: (actor: string, action: string, target: string, detail?: unknown, tx?: SqlTx) => Promise<unknown>;
  now: () => number;
  maxResults: number;
  /** One unit of work: a request's case, photo row, link, key count and audit commit together (the cases module joins it). */
  transaction: <T>(fn: (uow: UnitOfWork) => Promise<T>) => Promise<T>;
}

const DESCRIPTION_MAX = 2000;
const CONTACT_FIELDS = ['first_name', 'last_name', 'email', 'phone', 'device_id', 'account_id'] as const;
const hash = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

export class Open311RequestsService {
  private readonly items: Map<string, TaxonomyItem>;
  private readonly submissions = new SerialWriter();

  constructor(private readonly d: Open311ServiceDeps) {
    this.items = new Map(d.cases.taxonomy().items.filter(citizenReportable).map((i) => [i.code, i]));
  }

  get jurisdictionId(): string { return this.d.meta.id; }

  /** A jurisdiction_id other than ours (its id or its administrative code) is a 404 naming it. */
  checkJurisdiction(id: string | undefined): void {
    if (id === undefined || id === '' || id === this.d.meta.id || id === this.d.meta.adcode) return;
    throw refuse(404, `jurisdiction_id ${JSON.stringify(id)} is not served here (this server serves ${this.d.meta.id}, ${this.d.meta.name})`);
  }

  services(locale: Locale): Open311Service[] {
    const tax = this.d.cases.taxonomy();
    const classes = new Map(tax.classes.map((c) => [c.code, c]));
    const subclasses = new Map((tax.subclasses ?? []).map((s) => [s.code, s]));
    return [...this.items.values()].map((i) => {
      const cls = classes.get(i.classCode);
      const sub = subclasses.get(i.code.split('.').slice(0, 2).join('.'));
      const name = (x: { name: string; nameEn: string } | undefined) => (x ? (locale === 'en' ? x.nameEn : x.name) : '');
      const kind = i.category === 'component' ? (locale === 'en' ? 'component' : '部件') : (locale === 'en' ? 'event' : '事件');
      return {
        service_code: i.code,
        service_name: name(i),
        description: [kind, name(cls), name(sub), name(i)].filter(Boolean).join(' · '),
        metadata: attributesFor(i.code, locale).length > 0,
        type: 'realtime' as const,
        keywords: [...(i.keywords ?? []), name(sub), locale === 'en' ? i.name : i.nameEn].filter(Boolean).join(','),
        group: name(cls),
      };
    });
  }

  definition(code: string, locale: Locale): Open311ServiceDefinition {
    const item = this.items.get(code);
    if (!item) throw refuse(404, `service_code ${JSON.stringify(code)} is not a service here (see services.json)`);
    return { service_code: item.code, attributes: attributesFor(item.code, locale) };
  }

  /** The key behind api_key: 403 when missing, unknown or revoked. */
  async authenticate(apiKey: string | undefined): Promise<Open311Key> {
    if (apiKey === undefined || apiKey === '') throw refuse(403, 'api_key is required to submit a request');
    const key = await this.d.keys.byKey(apiKey);
    if (!key) throw refuse(403, 'api_key is not valid');
    if (key.revokedAt !== null) throw refuse(403, 'api_key has been revoked');
    return key;
  }

  async submit(key: Open311Key, input: SubmitInput): Promise<Open311Submitted[]> {
    const f = input.fields;
    const { locale } = input;
    const serviceCode = f.service_code?.trim();
    if (!serviceCode) throw refuse(400, 'service_code is required');
    const item = this.items.get(serviceCode);
    if (!item) throw refuse(404, `service_code ${JSON.stringify(serviceCode)} is not a service here (see services.json)`);

    const place = this.place(f);
    const description = (f.description ?? '').trim();
    if ([...description].length > DESCRIPTION_MAX) throw refuse(400, `description is longer than ${DESCRIPTION_MAX} characters`);
    const mediaUrl = f.media_url?.trim() || null;
    if (mediaUrl !== null) {
      let ok = false;
      try { const u = new URL(mediaUrl); ok = (u.protocol === 'http:' || u.protocol === 'https:') && mediaUrl.length <= 2000; } catch { ok = false; }
      if (!ok) throw refuse(400, 'media_url must be an http(s) URL of at most 2000 characters');
    }
    const contact: ReporterContact = {};
    for (const c of CONTACT_FIELDS) {
      const v = f[c]?.trim();
      if (!v) continue;
      if ([...v].length > 254) throw refuse(400, `${c} is longer than 254 characters`);
      if (c === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) throw refuse(400, 'email is not an email address');
      if (c === 'phone' && !/^[0-9+\-() ]{3,32}$/.test(v)) throw refuse(400, 'phone may hold digits, spaces, +, - and brackets only');
      contact[c] = v;
    }
    const attributes = validateAttributes(item.code, input.attributes);
    const photoType = input.photo ? sniffImageType(input.photo.bytes) : null;
    if (input.photo && input.photo.bytes.length === 0) throw refuse(400, 'media: the photo file is empty');
    if (input.photo && photoType === null) throw refuse(415, 'media: the file is not a JPEG, PNG or WebP image');

    // One at a time: the repeat check reads what the submission before it wrote (two copies of one
    // report sent at once open one case, as when the check and the write ran in one synchronous step).
    return this.submissions.run(async () => {
      const now = this.d.now();
      const submission = { keyId: key.id, serviceCode: item.code, lon: place.lon, lat: place.lat, addressString: place.addressString, description, ts: now };
      // a box a little larger than the repeat radius (1° of latitude ≈ 111 km)
      const dLat = (REPEAT_RADIUS_M * 1.5) / 111_000;
      const dLon = dLat / Math.max(0.01, Math.cos((place.lat * Math.PI) / 180));
      const earlier = (await this.d.repo.recent(key.id, item.code, now - REPEAT_WINDOW_MS, { lon: place.lon, lat: place.lat, dLon, dLat }))
        .find((l) => isRepeat({ keyId: l.keyId, serviceCode: l.serviceCode, lon: l.lon, lat: l.lat, addressString: l.addressString, description: l.description, ts: l.createdAt }, submission));
      if (earlier) {
        const c = (await this.d.cases.get(earlier.caseId))!;
        return [{ service_request_id: c.code, token: earlier.token, service_notice: REPEAT_NOTICE[locale](c.code), account_id: contact.account_id ?? null, rating_key: null }];
      }

      const actor: Actor = { name: `open311-key-${key.id}`, role: 'citizen' };
      const token = randomUUID();
      const ratingKey = randomBytes(18).toString('base64url');
      // One commit (one fsync) for everything the request writes; the photo file is durable before it.
      const detail = await this.d.transaction(async (uow): Promise<CaseDetail> => {
        let created: CaseDetail;
        try {
          created = await this.d.cases.report({
            source: key.source, itemCode: item.code, description,
            lon: place.lon, lat: place.lat, ...(place.addressString !== null ? { address: place.addressString } : {}),
          }, actor, uow);
        } catch (err) {
          if (err instanceof HttpError && err.code === 'outside_district') throw refuse(400, `the location is outside ${this.districtName(locale)}`);
          throw err;
        }
        if (input.photo && photoType) {
          let saved: { id: string; file: string; bytes: number };
          try {
            // PhotoFiles strips GPS, camera and owner metadata before the file is written.
            saved = this.d.photos.save(created.id, input.photo.bytes, photoType);
          } catch (err) {
            if (err instanceof HttpError && err.statusCode === 400) throw refuse(400, `media: ${err.message}`);
            throw err;
          }
          try {
            await this.d.cases.addPhoto(created.id, { id: saved.id, phase: 'before', file: saved.file, contentType: photoType, bytes: saved.bytes }, actor, uow);
          } catch (err) {
            this.d.photos.discard(created.id, saved.file);
            throw err;
          }
        }
        await this.d.repo.insert({
          caseId: created.id, keyId: key.id, token, ratingKeyHash: hash(ratingKey), serviceCode: item.code, lon: place.lon, lat: place.lat,
          addressString: place.addressString, description, mediaUrl, attributes: Object.keys(attributes).length ? attributes : null,
          contact: Object.keys(contact).length ? contact : null, createdAt: now,
        }, uow.tx);
        await this.d.keys.used(key.id, now, uow.tx);
        await this.d.audit(actor.name, 'open311.request', `case:${created.id}`, { code: created.code, serviceCode: item.code, keyId: key.id, photo: input.photo !== null }, uow.tx);
        return created;
      });
      return [{ service_request_id: detail.code, token, service_notice: this.notice(item, locale), account_id: contact.account_id ?? null, rating_key: ratingKey }];
    });
  }

  async list(query: Record<string, string | undefined>, locale: Locale, origin: string, extensions: boolean): Promise<Open311Request[]> {
    const now = this.d.now();
    const f = parseRequestFilters(query, now, this.d.meta.timezone, this.d.maxResults);
    const wanted = new Set(f.status ?? ['open', 'closed']);
    const stages = wanted.size === 2 ? null : wanted.has('closed') ? CLOSED_STAGES : OPEN_STAGES;
    const ids = await this.d.repo.caseIds({ sources: OPEN311_PUBLIC_SOURCES, codes: f.ids, itemCodes: f.serviceCodes, stages, start: f.start, end: f.end, limit: f.limit });
    const out: Open311Request[] = [];
    for (const id of ids) out.push(await this.request((await this.d.cases.detail(id))!, locale, origin, extensions));
    return out;
  }

  async one(code: string, locale: Locale, origin: string, extensions: boolean): Promise<Open311Request> {
    return this.request(await this.detailByCode(code), locale, origin, extensions);
  }

  async token(token: string): Promise<Open311Token[]> {
    const link = /^[0-9a-f-]{36}$/.test(token) ? await this.d.repo.byToken(token) : undefined;
    if (!link) throw refuse(404, `token ${JSON.stringify(token.slice(0, 64))} is not known here`);
    const c = (await this.d.cases.get(link.caseId))!;
    return [{ service_request_id: c.code, token: link.token }];
  }

  /** 评议: the submitter's rating of a closed request, with the rating_key from the submission. */
  async rate(code: string, body: Record<string, string | undefined>, locale: Locale, origin: string): Promise<Open311Request> {
    const detail = await this.detailByCode(code);
    const ratingKey = body.rating_key;
    if (!ratingKey) throw refuse(400, 'rating_key is required');
    const scoreText = body.score?.trim();
    if (!scoreText) throw refuse(400, 'score is required (an integer from 1 to 5)');
    const score = Number(scoreText);
    if (!/^[1-5]$/.test(scoreText)) throw refuse(400, `score must be an integer from 1 to 5, got ${JSON.stringify(scoreText.slice(0, 20))}`);
    const comment = body.comment?.trim() || null;
    if (comment !== null && [...comment].length > 500) throw refuse(400, 'comment is longer than 500 characters');
    const link = await this.d.repo.byCase(detail.id);
    const want = Buffer.from(link?.ratingKeyHash ?? '0'.repeat(64), 'hex');
    const got = Buffer.from(hash(ratingKey), 'hex');
    if (!link || !timingSafeEqual(want, got)) throw refuse(403, `rating_key is not the rating key of request ${detail.code}`);
    if (detail.citizenRating) throw refuse(409, `request ${detail.code} has already been rated`);
    if (detail.stage === 'voided') throw refuse(409, `request ${detail.code} was voided: there is no result to rate`);
    if (!CLOSED_STAGES.includes(detail.stage)) throw refuse(409, `request ${detail.code} is not closed yet (${STATUS_NOTES[detail.stage].en}): it can be rated once it is closed`);
    const rated = await this.d.cases.rate(detail.id, score, comment, { name: `open311-key-${link.keyId}`, role: 'citizen' });
    await this.d.audit(`open311-key-${link.keyId}`, 'open311.rate', `case:${detail.id}`, { code: detail.code, score });
    return this.request(rated, locale, origin, true);
  }

  /** The reporter's private contact and the key a case came in by (dispatchers and admins). */
  async reporter(caseId: number): Promise<{ caseId: number; keyId: number; keyName: string; source: string; contact: ReporterContact; attributes: Record<string, unknown>; mediaUrl: string | null; addressString: string | null } | undefined> {
    const link = await this.d.repo.byCase(caseId);
    if (!link) return undefined;
    const key = (await this.d.keys.get(link.keyId))!;
    return { caseId, keyId: key.id, keyName: key.name, source: key.source, contact: link.contact ?? {}, attributes: link.attributes ?? {}, mediaUrl: link.mediaUrl, addressString: link.addressString };
  }

  districtName(locale: Locale): string { return locale === 'en' ? this.d.meta.nameEn : this.d.meta.name; }

  private async detailByCode(code: string): Promise<CaseDetail> {
    const id = /^[A-Z]{1,6}-\d{8}-\d{4,}$/.test(code) ? await this.d.repo.caseIdByCode(code, OPEN311_PUBLIC_SOURCES) : undefined;
    const detail = id === undefined ? undefined : await this.d.cases.detail(id);
    if (!detail) throw refuse(404, `service_request_id ${JSON.stringify(code.slice(0, 64))} is not known here`);
    return detail;
  }

  private place(f: Record<string, string | undefined>): { lon: number; lat: number; addressString: string | null } {
    const latText = f.lat?.trim() || undefined;
    const longText = f.long?.trim() || undefined;
    const addressString = f.address_string?.trim() || null;
    if (addressString !== null && [...addressString].length > 200) throw refuse(400, 'address_string is longer than 200 characters');
    if (latText === undefined && longText === undefined) {
      if (addressString === null) throw refuse(400, 'a location is required: lat and long, or address_string');
      const hit = this.d.gazetteer.locate(addressString);
      if (!hit) throw refuse(400, `address_string ${JSON.stringify(addressString)} could not be placed in ${this.d.meta.name}: name a road, community, street or landmark of the district, or send lat and long`);
      return { lon: hit.lon, lat: hit.lat, addressString };
    }
    if (latText === undefined) throw refuse(400, 'lat is required with long');
    if (longText === undefined) throw refuse(400, 'long is required with lat');
    const num = /^[+-]?\d+(\.\d+)?$/;
    const lat = Number(latText), lon = Number(longText);
    if (!num.test(latText) || !(lat >= -90 && lat <= 90)) throw refuse(400, `lat must be a number from -90 to 90 (WGS-84 degrees), got ${JSON.stringify(latText.slice(0, 40))}`);
    if (!num.test(longText) || !(lon >= -180 && lon <= 180)) throw refuse(400, `long must be a number from -180 to 180 (WGS-84 degrees), got ${JSON.stringify(longText.slice(0, 40))}`);
    return { lon, lat, addressString };
  }

  private notice(item: TaxonomyItem, locale: Locale): string {
    return NOTICE[item.emergency ? 'emergency' : item.difficulty][locale];
  }

  private async request(c: CaseDetail, locale: Locale, origin: string, extensions: boolean): Promise<Open311Request> {
    const tz = this.d.meta.timezone;
    const item = this.d.cases.item(c.itemCode);
    const orgs = this.d.cases.organisations();
    const org = orgs.find((o) => o.code === c.assignedOrg) ?? orgs.find((o) => o.code === c.location.streetCode);
    const street = orgs.find((o) => o.code === c.location.streetCode);
    const closure = c.clocks.find((k) => k.kind === 'closure');
    const link: Open311Link | undefined = await this.d.repo.byCase(c.id);
    const before = c.photos.find((p) => p.phase === 'before');
    const signed = (photoId: string) => `${origin}${this.d.photoLink(c.id, photoId)}`;
    const name = (x: { name: string; nameEn: string } | undefined) => (x ? (locale === 'en' ? x.nameEn : x.name) : '');
    const req: Open311Request = {
      service_request_id: c.code,
      status: CLOSED_STAGES.includes(c.stage) ? 'closed' : 'open',
      status_notes: STATUS_NOTES[c.stage][locale] + (c.suspended ? (locale === 'en' ? ' (on hold)' : '（暂缓处理）') : ''),
      service_name: item ? name(item) : c.title,
      service_code: c.itemCode,
      description: c.description,
      agency_responsible: name(org),
      service_notice: item ? this.notice(item, locale) : '',
      requested_datetime: formatLocal(c.createdTs, tz),
      updated_datetime: formatLocal(c.updatedTs, tz),
      expected_datetime: closure ? formatLocal(closure.dueTs, tz) : null,
      address: c.location.address ?? name(street),
      address_id: null,
      zipcode: null,
      lat: c.location.lat,
      long: c.location.lon,
      media_url: before ? signed(before.id) : (link?.mediaUrl ?? null),
    };
    if (extensions) req.extended_attributes = this.extended(c, signed);
    return req;
  }

  private extended(c: CaseDetail, signed: (photoId: string) => string): Open311ExtendedAttributes {
    const tz = this.d.meta.timezone;
    const timeline: Open311ExtendedAttributes['timeline'] = [];
    for (const e of c.timeline) {
      const event = publicEvent(e);
      // One public step per stretch: accept, on my way and arrival are all "being handled".
      if (event && !(event === 'handling' && timeline.at(-1)?.event === 'handling')) timeline.push({ event, datetime: formatLocal(e.ts, tz) });
    }
    return {
      stage: c.stage,
      timeline,
      after_media_urls: c.photos.filter((p) => p.phase === 'after').map((p) => signed(p.id)),
      rating: c.citizenRating ? { score: c.citizenRating.score, comment: c.citizenRating.comment, datetime: formatLocal(c.citizenRating.ts, tz) } : null,
    };
  }
}

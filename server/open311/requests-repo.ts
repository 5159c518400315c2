/**
 * What Open311 adds to a case: the key it came in by, its token, the hash of its rating key,
 * the submission as given (for the repeat check), and the reporter's private contact. Also
 * the read queries GET requests needs over the cases table (public sources only).
 */
import type { CaseSource } from '../../shared/cases.ts';
import type { SqlExecutor, SqlParam } from '../store/sql/types.ts';

/** 上报人 contact as the citizen gave it; private (dispatchers and admins only). */
export interface ReporterContact {
  first_name?: string; last_name?: string; email?: string; phone?: string; device_id?: string; account_id?: string;
}

export interface Open311Link {
  caseId: number;
  keyId: number;
  token: string;
  ratingKeyHash: string;
  serviceCode: string;
  lon: number;
  lat: number;
  addressString: string | null;
  description: string;
  mediaUrl: string | null;
  attributes: Record<string, unknown> | null;
  contact: ReporterContact | null;
  createdAt: number;
}

interface LinkRow {
  [column: string]: unknown;
  case_id: number; key_id: number; token: string; rating_key_hash: string; service_code: string; lon: number; lat: number;
  address_string: string | null; description: string; media_url: string | null; attributes: string | null; contact: string | null; created_at: number;
}

const fromRow = (r: LinkRow): Open311Link => ({
  caseId: r.case_id, keyId: r.key_id, token: r.token, ratingKeyHash: r.rating_key_hash, serviceCode: r.service_code, lon: r.lon, lat: r.lat,
  addressString: r.address_string, description: r.description, mediaUrl: r.media_url,
  attributes: r.attributes === null ? null : (JSON.parse(r.attributes) as Record<string, unknown>),
  contact: r.contact === null ? null : (JSON.parse(r.contact) as ReporterContact), createdAt: r.created_at,
});

export interface CaseQuery {
  sources: readonly CaseSource[];
  codes: string[] | null;
  itemCodes: string[] | null;
  /** Stages that count; null: any. */
  stages: readonly string[] | null;
  start: number;
  end: number;
  limit: number;
}

/** `$from, $from+1, …` for a list of `n` values. */
const placeholders = (from: number, n: number): string => Array.from({ length: n }, (_, i) => `$${from + i}`).join(', ');

export class Open311RequestsRepo {
  constructor(private readonly sql: SqlExecutor) {}

  /** `sql`: the transaction the request's case is written in. */
  async insert(l: Open311Link, sql: SqlExecutor = this.sql): Promise<void> {
    await sql.exec(`INSERT INTO open311_requests (case_id, key_id, token, rating_key_hash, service_code, lon, lat, address_string, description, media_url, attributes, contact, created_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, [
      l.caseId, l.keyId, l.token, l.ratingKeyHash, l.serviceCode, l.lon, l.lat, l.addressString, l.description, l.mediaUrl,
      l.attributes === null ? null : JSON.stringify(l.attributes), l.contact === null ? null : JSON.stringify(l.contact), l.createdAt,
    ]);
  }

  async byCase(caseId: number): Promise<Open311Link | undefined> {
    const r = await this.sql.one<LinkRow>('SELECT * FROM open311_requests WHERE case_id = $1', [caseId]);
    return r && fromRow(r);
  }

  async byToken(token: string): Promise<Open311Link | undefined> {
    const r = await this.sql.one<LinkRow>('SELECT * FROM open311_requests WHERE token = $1', [token]);
    return r && fromRow(r);
  }

  /**
   * The key's requests for a service since `ts` near a point (within `box` degrees) or placed
   * by an address, latest first: the candidates of the repeat check. The box keeps a busy key
   * (the report page's) from reading all its last minutes' requests on every submission.
   */
  async recent(keyId: number, serviceCode: string, since: number, near: { lon: number; lat: number; dLon: number; dLat: number }): Promise<Open311Link[]> {
    return (await this.sql.query<LinkRow>(`SELECT * FROM open311_requests WHERE key_id = $1 AND service_code = $2 AND created_at >= $3
      AND ((lon BETWEEN $4 AND $5 AND lat BETWEEN $6 AND $7) OR address_string IS NOT NULL) ORDER BY created_at DESC`,
    [keyId, serviceCode, since, near.lon - near.dLon, near.lon + near.dLon, near.lat - near.dLat, near.lat + near.dLat])).map(fromRow);
  }

  /** Case id by human code, among public sources. */
  async caseIdByCode(code: string, sources: readonly CaseSource[]): Promise<number | undefined> {
    const r = await this.sql.one<{ id: number }>(`SELECT id FROM cases WHERE code = $1 AND source IN (${placeholders(2, sources.length)})`, [code, ...sources]);
    return r?.id;
  }

  /** Case ids for GET requests, latest first. */
  async caseIds(q: CaseQuery): Promise<number[]> {
    const params: SqlParam[] = [];
    const list = (values: readonly SqlParam[]) => { const from = params.length + 1; params.push(...values); return placeholders(from, values.length); };
    const one = (value: SqlParam) => { params.push(value); return `$${params.length}`; };
    const where = [`source IN (${list(q.sources)})`];
    if (q.codes) {
      where.push(`code IN (${list(q.codes)})`);
    } else {
      where.push(`created_ts >= ${one(q.start)}`, `created_ts < ${one(q.end)}`);
      if (q.itemCodes) where.push(`item_code IN (${list(q.itemCodes)})`);
      if (q.stages) where.push(`stage IN (${list(q.stages)})`);
    }
    const sql = `SELECT id FROM cases WHERE ${where.join(' AND ')} ORDER BY created_ts DESC, id DESC LIMIT ${one(q.limit)}`;
    return (await this.sql.query<{ id: number }>(sql, params)).map((r) => r.id);
  }
}

/**
 * What Open311 adds to a case: the key it came in by, its token, the hash of its rating key,
 * the submission as given (for the repeat check), and the reporter's private contact. Also
 * the read queries GET requests needs over the cases table (public sources only).
 */
import type { CaseSource } from '../../shared/cases.ts';
import type Database from 'better-sqlite3';
import type { Db } from '../store/database.ts';

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

export class Open311RequestsRepo {
  private readonly statements = new Map<string, Database.Statement<unknown[]>>();

  constructor(private readonly db: Db) {}

  /** Prepared once per text: every submission runs the same few statements. */
  private sql(text: string): Database.Statement<unknown[]> {
    let st = this.statements.get(text);
    if (!st) this.statements.set(text, (st = this.db.prepare(text)));
    return st;
  }

  insert(l: Open311Link): void {
    this.sql(`INSERT INTO open311_requests (case_id, key_id, token, rating_key_hash, service_code, lon, lat, address_string, description, media_url, attributes, contact, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      l.caseId, l.keyId, l.token, l.ratingKeyHash, l.serviceCode, l.lon, l.lat, l.addressString, l.description, l.mediaUrl,
      l.attributes === null ? null : JSON.stringify(l.attributes), l.contact === null ? null : JSON.stringify(l.contact), l.createdAt,
    );
  }

  byCase(caseId: number): Open311Link | undefined {
    const r = this.sql('SELECT * FROM open311_requests WHERE case_id = ?').get(caseId) as LinkRow | undefined;
    return r && fromRow(r);
  }

  byToken(token: string): Open311Link | undefined {
    const r = this.sql('SELECT * FROM open311_requests WHERE token = ?').get(token) as LinkRow | undefined;
    return r && fromRow(r);
  }

  /**
   * The key's requests for a service since `ts` near a point (within `box` degrees) or placed
   * by an address, latest first: the candidates of the repeat check. The box keeps a busy key
   * (the report page's) from reading all its last minutes' requests on every submission.
   */
  recent(keyId: number, serviceCode: string, since: number, near: { lon: number; lat: number; dLon: number; dLat: number }): Open311Link[] {
    return (this.sql(`SELECT * FROM open311_requests WHERE key_id = ? AND service_code = ? AND created_at >= ?
      AND ((lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?) OR address_string IS NOT NULL) ORDER BY created_at DESC`)
      .all(keyId, serviceCode, since, near.lon - near.dLon, near.lon + near.dLon, near.lat - near.dLat, near.lat + near.dLat) as LinkRow[]).map(fromRow);
  }

  /** Case id by human code, among public sources. */
  caseIdByCode(code: string, sources: readonly CaseSource[]): number | undefined {
    return this.sql(`SELECT id FROM cases WHERE code = ? AND source IN (${sources.map(() => '?').join(', ')})`).pluck().get(code, ...sources) as number | undefined;
  }

  /** Case ids for GET requests, latest first. */
  caseIds(q: CaseQuery): number[] {
    const where = [`source IN (${q.sources.map(() => '?').join(', ')})`];
    const params: unknown[] = [...q.sources];
    if (q.codes) {
      where.push(`code IN (${q.codes.map(() => '?').join(', ')})`);
      params.push(...q.codes);
    } else {
      where.push('created_ts >= ?', 'created_ts < ?');
      params.push(q.start, q.end);
      if (q.itemCodes) { where.push(`item_code IN (${q.itemCodes.map(() => '?').join(', ')})`); params.push(...q.itemCodes); }
      if (q.stages) { where.push(`stage IN (${q.stages.map(() => '?').join(', ')})`); params.push(...q.stages); }
    }
    params.push(q.limit);
    return this.sql(`SELECT id FROM cases WHERE ${where.join(' AND ')} ORDER BY created_ts DESC, id DESC LIMIT ?`).pluck().all(...params) as number[];
  }
}

/**
 * Open311's public reads are limited per client address: a scraper gets the spec's error list
 * with 429 and a Retry-After, a status page polling every 20 s never comes near it.
 */
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPEN311_READS_PER_MIN_PER_ADDRESS } from '../../server/routes/open311.ts';
import { startServer, type RunningServer } from './server-harness.ts';

describe('Open311 public reads per client address', () => {
  let s: RunningServer;
  beforeAll(async () => {
    s = await startServer({ SIM_ENABLED: 'false' });
  });
  afterAll(async () => {
    await s?.close();
  });

  it(`answers ${OPEN311_READS_PER_MIN_PER_ADDRESS} reads a minute, then 429 in the spec's form (JSON and XML)`, async () => {
    const urls = ['/open311/v2/services.json', '/open311/v2/discovery.json', '/open311/v2/requests.json', '/open311/v2/tokens/x.json'];
    const statuses: number[] = [];
    // Each body read to its end: an unread body keeps its connection busy (the server cannot close while
    // a 30 KB service list waits in a full socket buffer), which made this file's close hang on a busy machine.
    for (let i = 0; i < OPEN311_READS_PER_MIN_PER_ADDRESS; i++) {
      const r = await fetch(`${s.url}${urls[i % urls.length]}`);
      statuses.push(r.status);
      await r.arrayBuffer();
    }
    expect(statuses.filter((x) => x === 429)).toEqual([]);

    const json = await fetch(`${s.url}/open311/v2/services.json`);
    expect(json.status).toBe(429);
    expect(Number(json.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await json.json()) as { code: number; description: string }[];
    expect(body).toHaveLength(1);
    expect(body[0]!.code).toBe(429);
    expect(typeof body[0]!.description).toBe('string');

    const xml = await fetch(`${s.url}/open311/v2/requests/LX-1.xml`);
    expect(xml.status).toBe(429);
    expect(xml.headers.get('content-type')).toBe('text/xml; charset=utf-8');
    const parsed = new XMLParser().parse(await xml.text()) as { errors: { error: { code: number } } };
    expect(parsed.errors.error.code).toBe(429);

    // writes have their own limit per key, and the staff API is untouched
    const health = await fetch(`${s.url}/api/health`);
    expect(health.status).toBe(200);
    await health.arrayBuffer();
  });
});

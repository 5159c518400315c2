/**
 * The naive baseline the live benchmark compares against — what typical big-screen dashboards
 * do, not the product: positions posted to the same ingest path (same body, a bearer key), each
 * entity kept as a JSON object, and every update broadcast at once to every screen as those
 * objects (`io.emit('entities', [...])`, one event per ingest request — already kinder than one
 * event per entity). No ticks, no deltas, no per-screen state, no backpressure: a screen that
 * does not read piles up in the server's socket buffers. A new screen gets every entity.
 *
 * Env: BENCH_KEY (the bearer key). Prints {"port": n} on stdout when it listens.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';

interface EntityObject {
  id: string; kind: 'vehicle'; name: string; status: 'moving'; connectivity: 'online';
  lon: number; lat: number; ts: number; speed: number; heading: number; lastSeen: number;
}

const key = process.env.BENCH_KEY ?? '';
const entities = new Map<string, EntityObject>();

const http = createServer((req, res) => {
  const answer = (status: number, body: object) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method !== 'POST' || req.url !== '/api/v1/ingest/positions') return answer(404, { error: 'not found' });
  if (req.headers.authorization !== `Bearer ${key}`) return answer(401, { error: 'unauthorized' });
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let body: { positions?: { deviceId: string; ts: number; lon: number; lat: number; speed?: number; heading?: number }[] };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return answer(400, { error: 'body is not JSON' });
    }
    if (!Array.isArray(body.positions)) return answer(400, { error: 'positions must be an array' });
    const now = Date.now();
    const updated: EntityObject[] = [];
    for (const p of body.positions) {
      const e: EntityObject = {
        id: p.deviceId, kind: 'vehicle', name: `bench vehicle ${p.deviceId}`, status: 'moving', connectivity: 'online',
        lon: p.lon, lat: p.lat, ts: p.ts, speed: p.speed ?? 0, heading: p.heading ?? 0, lastSeen: now,
      };
      entities.set(e.id, e);
      updated.push(e);
    }
    io.emit('entities', updated);
    answer(200, { accepted: updated.length, rejected: [] });
  });
});

const io = new Server(http, { serveClient: false });
io.on('connection', (socket) => { socket.emit('entities', [...entities.values()]); });

http.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (http.address() as { port: number }).port })}\n`);
});
const stop = () => { io.close(); http.close(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

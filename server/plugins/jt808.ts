/**
 * The JT/T 808 gateway as `app.jt808`: the TCP server on JT808_PORT (server/ingest/jt808/),
 * reports into the one ingest entry point with source 'jt808', terminals registered and
 * authenticated through the device registry (`app.deviceDirectory`, the DevicePort), text
 * messages to terminals (a dispatch's task reaches the driver) and position queries.
 */
import fp from 'fastify-plugin';
import type { Jt808Config } from '../ingest/jt808/config.ts';
import { Jt808Gateway, type GatewayStats } from '../ingest/jt808/server.ts';
import { TextDownlink } from '../ingest/jt808/text-downlink.ts';
import { DEFAULT_SUBPACKAGE_LIMITS } from '../ingest/jt808/subpackage.ts';

declare module 'fastify' {
  interface FastifyInstance {
    jt808: {
      /** The port the gateway listens on; undefined with JT808_PORT=off. */
      port: number | undefined;
      stats(): GatewayStats | undefined;
      texts: TextDownlink;
      /** Sends 0x8201 to a connected terminal; false when it is not connected. */
      queryPosition(terminal: string): boolean;
    };
  }
}

export interface Jt808PluginOptions {
  config: Jt808Config;
  host: string;
  now: () => number;
}

/** A dispatch's text on the terminal's screen: the case number, what, where (0x8300 carries at most what the device page allows). */
export function dispatchText(c: { code: string; title: string; location: { address: string | null } }): string {
  return `【派遣】${c.code} ${c.title}${c.location.address ? ` · ${c.location.address}` : ''}`.slice(0, 200);
}

export default fp<Jt808PluginOptions>(async (app, opts) => {
  const { config, now } = opts;
  let gateway: Jt808Gateway | undefined;
  const texts = new TextDownlink(app.store.sql, (terminal) => gateway?.session(terminal), config.textTtlMs, now);
  if (config.port !== 'off') {
    gateway = new Jt808Gateway({
      directory: app.deviceDirectory,
      ingest: app.ingest,
      kindOf: (id) => app.live.get(id)?.kind,
      muck: config.muck,
      tzOffsetMin: config.utcOffsetMin,
      subpackageLimits: DEFAULT_SUBPACKAGE_LIMITS,
      maxBatchItems: 256,
      now,
      onAnswer: (a) => { texts.onAnswer(a).catch((err: unknown) => app.timerFailures.record('jt808 text answer', err)); },
      onReady: (s) => {
        texts.onSession(s).catch((err: unknown) => app.timerFailures.record('jt808 queued texts', err));
        // With Redis, one node holds each terminal: a reconnection elsewhere closes the session left here.
        const terminal = s.deviceId;
        if (terminal !== undefined && app.hasDecorator('cluster')) app.cluster.claimTerminal(terminal, () => s.close('replacedOnAnotherNode'), () => gateway?.session(terminal) === s);
      },
    }, config.limits, app.log);
  }
  const port = gateway ? await gateway.listen(config.port as number, opts.host) : undefined;
  if (port !== undefined) app.log.info(`jt808 gateway listening on ${opts.host}:${port}`);

  app.decorate('jt808', {
    port,
    stats: () => gateway?.snapshotStats(),
    texts,
    queryPosition: (terminal: string) => {
      const s = gateway?.session(terminal);
      if (!s) return false;
      s.queryPosition();
      return true;
    },
  });

  if (config.textOnDispatch) {
    app.domainEvents.on('case:transition', async (t) => {
      if (t.action !== 'dispatch' || typeof t.data?.unitId !== 'string') return;
      const terminal = app.deviceDirectory.deviceFor(t.data.unitId, 'jt808');
      const device = terminal === undefined ? undefined : app.deviceDirectory.find('jt808', terminal);
      const c = device ? await app.cases.get(t.caseId) : undefined;
      if (!device || !c) return;
      texts.send({ id: device.id, deviceId: device.deviceId }, dispatchText(c), 'dispatch', c.id)
        .catch((err: unknown) => app.timerFailures.record('jt808 dispatch text', err));
    });
  }

  // Like every other timer: a failure is logged and counted (/api/ingest/stats), and the next run tries again.
  const expiry = setInterval(() => { texts.expire().catch((err: unknown) => app.timerFailures.record('jt808 text expiry', err)); }, 60_000);
  expiry.unref();
  app.addHook('onClose', async () => {
    clearInterval(expiry);
    await gateway?.close();
  });
}, { name: 'jt808', dependencies: ['store', 'live', 'devices', 'domain-events', 'cases'] });

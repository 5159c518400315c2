/**
 * The device registry (server/devices/device-directory.ts) as `app.deviceDirectory`: the port
 * the gateways (JT/T 808, MQTT, HTTP) ask, the resolver the ingest uses, and what the device
 * page administers. Registered right after `live`: it puts back the entities made for devices
 * in earlier runs before history and the screens read the catalog.
 */
import fp from 'fastify-plugin';
import { DeviceDirectory } from '../devices/device-directory.ts';
import type { RegistrationPolicy } from '../devices/registration-policy.ts';
import { DistrictLocator } from '../district/locator.ts';
import { entitiesFromPack } from '../live/entities-from-pack.ts';

declare module 'fastify' {
  interface FastifyInstance {
    deviceDirectory: DeviceDirectory;
  }
}

export interface DevicesPluginOptions {
  jt808Registration: RegistrationPolicy;
  now: () => number;
  /** How often the devices' counters (accepted, refused, last seen) are written. */
  flushMs?: number;
}

export default fp<DevicesPluginOptions>(async (app, opts) => {
  const locator = new DistrictLocator(app.district.pack);
  const directory = new DeviceDirectory({
    repo: app.store.devices, live: app.live, policy: opts.jt808Registration, now: opts.now,
    place: (lon, lat) => locator.locate(lon, lat),
  });
  const loaded = await directory.load(entitiesFromPack(app.district.pack).map((e) => e.id));
  app.log.info(loaded, `devices: ${loaded.devices} devices, ${loaded.runtimeEntities} entities made for devices`);
  app.ingest.useDevices(directory);
  app.decorate('deviceDirectory', directory);

  // A failed write must not end the server: log, count, keep the counters dirty, try again next time.
  const flush = () => directory.flushCounters().catch((err: unknown) => app.timerFailures.record('device counters flush', err));
  const timer = setInterval(() => { void flush(); }, opts.flushMs ?? 5000);
  timer.unref();
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await flush();
  });
}, { name: 'devices', dependencies: ['store', 'live'] });

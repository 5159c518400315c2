/** Entry point: configuration, the app, listen, and an orderly shutdown on SIGTERM/SIGINT. */
import { buildApp } from './app.ts';
import { ConfigError, describeConfig, loadConfig } from './config.ts';
import { DistrictPackError } from './district/load-pack.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const { app, firstStart, wallUrl } = await buildApp(config);
  app.log.info({ config: describeConfig(config) }, 'configuration');
  await app.listen({ host: config.host, port: config.port });
  const base = wallUrl('').replace(/\/wall\?token=$/, '');
  if (firstStart) {
    // Printed once, on the first start of an empty database; only hashes are stored.
    const lines = [
      'CityOps Command — first start',
      `Admin login: ${firstStart.adminUser} / ${firstStart.adminPassword ?? '(the ADMIN_PASSWORD you configured)'}`,
      // In production stdout is the service's log, which must hold no token: the operator issues the wall's URL instead.
      config.env === 'production'
        ? 'Wall URL: not printed in production (it carries the wall\'s token); issue one with  npm run admin -- wall-token "<screen name>"'
        : `Wall URL: ${wallUrl(firstStart.wallToken)}`,
      'Keep these: they are not shown again. Issue more wall tokens at /api/display-tokens (admin).',
    ];
    process.stdout.write(`\n${lines.map((l) => `  ${l}`).join('\n')}\n\n`);
  }
  process.stdout.write(`CityOps Command ready: ${base}/wall  (login: ${base}/login, API docs: ${base}/docs)\n`);

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    app.close().then(() => process.exit(0), (err: Error) => {
      app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof DistrictPackError) {
    process.stderr.write(`cityops: ${err.message}\n`);
  } else {
    process.stderr.write(`cityops: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(1);
});

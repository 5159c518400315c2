// `npm start`: build what is stale (client, server bundle), then run the server.
import { spawn } from 'node:child_process';
import { buildClientIfStale, buildServer } from './build.mjs';

const status = buildClientIfStale();
if (status !== 0) process.exit(status);
await buildServer();

const server = spawn(process.execPath, ['--enable-source-maps', 'dist/server/main.mjs'], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.kill(sig));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

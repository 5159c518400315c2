// `npm start`: build the client if it is missing or older than its sources, then run the server.
import { spawn } from 'node:child_process';
import { buildClientIfStale } from './build-client.mjs';

const status = buildClientIfStale();
if (status !== 0) process.exit(status);

const server = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.kill(sig));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

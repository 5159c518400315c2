/**
 * Operator commands for the machine the server runs on, for when the printed first-start
 * credentials are lost:  npm run admin -- <command>
 *
 *   reset-password <username>     set a new random password and print it
 *   set-password <username>       set a password typed without echo or piped from standard input (the password
 *                                 policy applies); never on the command line, where ps and the shell history keep it
 *   add-user <username> <role>    create a person (role: dispatcher | leader | admin) and print the password
 *   add-user <username> field --unit <entity id>
 *                                 create a field crew's login, bound to its unit (a staff member or vehicle)
 *   wall-token <name>             issue a new wall display token and print the wall URL
 *   revoke-wall-tokens            revoke every wall display token (connected walls are cut off on the next restart)
 *   open311-key <name> [--source citizenPhoto|hotline]
 *                                 issue an Open311 API key (default source citizenPhoto) and print it once
 *   ingest-key <name>             issue a key for an integration posting HTTP batches (/api/v1/ingest/…) and print it once
 *   backup <file>                 copy the store to <file> while the server runs (server/store/backup.ts)
 *   restore <file>                put a backup in place as the store (the server must be stopped)
 */
import { hashPassword, newPassword, newToken } from './auth/passwords.ts';
import { describePasswordProblem, passwordProblem } from './auth/password-policy.ts';
import { loadConfig } from './config.ts';
import { loadDistrictPack } from './district/load-pack.ts';
import { AccessRepo } from './store/access-repo.ts';
import { AuditRepo } from './store/audit-repo.ts';
import { openSqlStore } from './store/sql/open.ts';
import { runBackupCommand } from './store/backup.ts';
import { isRole } from '../shared/roles.ts';
import { nameProblem } from '../shared/names.ts';
import { OPEN311_KEY_SOURCES, type Open311KeySource } from '../shared/open311.ts';
import { ServerSecret } from './auth/server-secret.ts';
import { Open311KeysRepo } from './open311/keys-repo.ts';
import { IngestKeysRepo } from './ingest/http/keys-repo.ts';

const [command, ...args] = process.argv.slice(2);
const config = loadConfig();
// Before the store is opened here: restore must find it closed, and neither migrates anything.
if (command === 'backup' || command === 'restore') {
  if (config.database) {
    // PostgreSQL has its own tools, which copy a running database consistently (README, "Backups").
    process.stderr.write(`${command}: the store is PostgreSQL (DATABASE_URL): use ${command === 'backup' ? 'pg_dump -Fc -f <file> "$DATABASE_URL"' : 'pg_restore --no-owner -d "$DATABASE_URL" <file> (nodes stopped)'}\n`);
    process.exit(2);
  }
  process.exit(await runBackupCommand(command, args, config.dataDir, (l) => process.stdout.write(`${l}\n`), (l) => process.stderr.write(`${l}\n`)));
}
const sql = await openSqlStore({ dataDir: config.dataDir, ...(config.database ? { databaseUrl: config.database.url, schema: config.database.schema } : {}) });
const access = new AccessRepo(sql);
const audit = new AuditRepo(sql);
const base = config.publicUrl ?? `http://localhost:${config.port}`;

/** The new password: typed at a terminal without echo, or piped in (a file, a secret store's CLI). */
async function readStdin(): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  process.stderr.write('New password (not shown): ');
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  let typed = '';
  try {
    for await (const chunk of stdin) {
      for (const ch of chunk as string) {
        if (ch === '\r' || ch === '\n') return typed;
        if (ch === '\u0003') fail('\ncancelled');
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    }
    return typed;
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

try {
  switch (command) {
    case 'reset-password': {
      const [username] = args;
      if (!username) fail('usage: npm run admin -- reset-password <username>');
      const user = await access.findUser(username);
      if (!user) fail(`no user "${username}"`);
      const password = newPassword();
      // The running server's session sweep sees the ended sessions and cuts their live screens off.
      const ended = await access.setPassword(user.id, await hashPassword(password), Date.now());
      await audit.record({ actor: 'cli', action: 'user.resetPassword', target: username, detail: { endedSessions: ended.length } });
      process.stdout.write(`New password for ${username}: ${password}\n(existing sessions of ${username} were signed out)\n`);
      break;
    }
    case 'set-password': {
      const [username] = args;
      if (!username || args.length !== 1) fail('usage: npm run admin -- set-password <username>   (type the password when asked, or pipe it in: < file)');
      const user = await access.findUser(username);
      if (!user) fail(`no user "${username}"`);
      const password = (await readStdin()).replace(/\r?\n$/, '');
      const problem = passwordProblem(password, username);
      if (problem) fail(`password not set: ${describePasswordProblem(problem)}`);
      const ended = await access.setPassword(user.id, await hashPassword(password), Date.now());
      await audit.record({ actor: 'cli', action: 'user.setPassword', target: username, detail: { endedSessions: ended.length } });
      process.stdout.write(`Password of ${username} set (${ended.length} session(s) signed out)\n`);
      break;
    }
    case 'add-user': {
      const [username, role, flag, unitId] = args;
      const usage = 'usage: npm run admin -- add-user <username> <dispatcher|leader|admin>  |  add-user <username> field --unit <entity id>';
      if (!username || !role || !isRole(role) || role === 'wall') fail(usage);
      if (role === 'field' ? flag !== '--unit' || !unitId || args.length !== 4 : args.length !== 2) fail(usage);
      if (nameProblem(username)) fail(`the user name ${nameProblem(username)}`);
      if (await access.findUser(username)) fail(`user "${username}" exists already`);
      if (role === 'field') {
        const pack = await loadDistrictPack(config.districtPack);
        const units = new Set([...pack.staff.map((x) => x.id), ...pack.vehicles.map((x) => x.id)]);
        if (!units.has(unitId!)) fail(`no unit "${unitId}" in the district pack (a staff member or sanitation vehicle id, e.g. staff-0001)`);
      }
      const password = newPassword();
      await access.createUser(username, await hashPassword(password), role, Date.now(), role === 'field' ? unitId! : null);
      await audit.record({ actor: 'cli', action: 'user.create', target: username, detail: role === 'field' ? { role, unitId } : { role } });
      process.stdout.write(`Created ${role} ${username}${role === 'field' ? ` for unit ${unitId}` : ''} with password: ${password}\n`);
      break;
    }
    case 'wall-token': {
      const name = args.join(' ').trim();
      if (!name) fail('usage: npm run admin -- wall-token <name of the screen>');
      const token = newToken();
      const id = await access.createDisplayToken(token, name, 'cli');
      await audit.record({ actor: 'cli', action: 'displayToken.create', target: String(id), detail: { name } });
      process.stdout.write(`Wall URL for "${name}": ${base}/wall?token=${encodeURIComponent(token)}\n`);
      break;
    }
    case 'revoke-wall-tokens': {
      let n = 0;
      for (const t of await access.listDisplayTokens()) if (t.revokedAt === null && (await access.revokeDisplayToken(t.id))) n++;
      await audit.record({ actor: 'cli', action: 'displayToken.revokeAll', detail: { count: n } });
      process.stdout.write(`Revoked ${n} wall display token(s).\n`);
      break;
    }
    case 'open311-key': {
      const usage = 'usage: npm run admin -- open311-key "<name>" [--source citizenPhoto|hotline]';
      const at = args.indexOf('--source');
      const source = at < 0 ? 'citizenPhoto' : args[at + 1];
      const name = (at < 0 ? args : [...args.slice(0, at), ...args.slice(at + 2)]).join(' ').trim();
      if (!name || name.length > 100) fail(usage);
      if (!source || !(OPEN311_KEY_SOURCES as readonly string[]).includes(source)) fail(`${usage}\n--source must be one of ${OPEN311_KEY_SOURCES.join(', ')}`);
      const secret = await ServerSecret.load(sql);
      const keys = new Open311KeysRepo(sql, (p) => secret.derive(p));
      const { key, row } = await keys.create(name, source as Open311KeySource, 'cli', Date.now());
      await audit.record({ actor: 'cli', action: 'open311Key.create', target: `open311Key:${row.id}`, detail: { name, source } });
      process.stdout.write(`Open311 API key #${row.id} "${name}" (source ${source}), shown once:\n${key}\nEndpoint: ${base}/open311/v2/\n`);
      break;
    }
    case 'ingest-key': {
      const name = args.join(' ').trim();
      if (!name || name.length > 80) fail('usage: npm run admin -- ingest-key "<name of the integration>" (1–80 characters)');
      const { secret, key } = await new IngestKeysRepo(sql).create(name, 'cli', Date.now());
      await audit.record({ actor: 'cli', action: 'ingestKey.create', target: `ingestKey:${key.id}`, detail: { name } });
      process.stdout.write(`Ingest key #${key.id} "${name}", shown once:\n${secret}\nSend it as  Authorization: Bearer <key>  to ${base}/api/v1/ingest/positions and ${base}/api/v1/ingest/readings\n`);
      break;
    }
    default:
      fail('commands: reset-password <username> | set-password <username> (password on stdin) | add-user <username> <role> | wall-token <name> | revoke-wall-tokens | open311-key <name> [--source citizenPhoto|hotline] | ingest-key <name> | backup <file> | restore <file>');
  }
} finally {
  await sql.close();
}

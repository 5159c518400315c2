/**
 * Backup and restore of the embedded SQLite store.
 *
 * Backup runs while the server runs: SQLite's online backup API (better-sqlite3 `db.backup()`)
 * copies a consistent snapshot page by page, including what is still in the WAL, without
 * stopping writers — unlike copying the file, which can catch a half-written page or miss the
 * WAL. The copy goes to a temporary name and is checked (integrity_check) before it gets the
 * name asked for, so a file with that name is always a complete backup.
 *
 * Restore needs the server stopped: swapping the file under a running server would leave it
 * writing into the old file (or into a WAL that no longer matches). A running server keeps a
 * shared lock on the database for as long as it is open (WAL mode), so restore asks for an
 * exclusive lock first and refuses while it cannot get one. The file it replaces is kept beside
 * it (`cityops.sqlite.before-restore-<time>`).
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MIGRATIONS } from './migrations.ts';

/** The store's file under DATA_DIR (server/store/database.ts opens this name). */
export const DB_FILE_NAME = 'cityops.sqlite';

export class BackupError extends Error {
  override name = 'BackupError';
}

export interface BackupResult {
  file: string;
  bytes: number;
  /** PRAGMA user_version of the copy: the schema's migration number. */
  schemaVersion: number;
}

export function databaseFile(dataDir: string): string {
  return join(dataDir, DB_FILE_NAME);
}

/** Checks a copy: SQLite's integrity check passes, and this build knows its schema. */
function verify(file: string): number {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new BackupError(`${file} is not a readable SQLite database (${(err as Error).message})`);
  }
  try {
    const check = db.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new BackupError(`${file} fails SQLite's integrity check: ${String(check)}`);
    const version = db.pragma('user_version', { simple: true }) as number;
    const newest = MIGRATIONS.reduce((m, x) => Math.max(m, x.version), 0);
    if (version > newest) throw new BackupError(`${file} has schema version ${version}, newer than this build knows (${newest})`);
    if (version === 0) throw new BackupError(`${file} is not a CityOps store (schema version 0)`);
    return version;
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(`${file} is not a readable SQLite database (${(err as Error).message})`);
  } finally {
    db.close();
  }
}

/** Copies the store under `dataDir` to `dest` (which must not exist) while the server may be running. */
export async function backupDatabase(dataDir: string, dest: string): Promise<BackupResult> {
  const source = databaseFile(dataDir);
  const target = resolve(dest);
  if (!existsSync(source)) throw new BackupError(`no store at ${source} (check DATA_DIR)`);
  if (existsSync(target)) throw new BackupError(`${target} exists already; choose a new file name (a backup never overwrites)`);
  const partial = `${target}.partial`;
  rmSync(partial, { force: true });
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    await db.backup(partial);
  } catch (err) {
    rmSync(partial, { force: true });
    throw new BackupError(`backup to ${target} failed: ${(err as Error).message}`);
  } finally {
    db.close();
  }
  let schemaVersion: number;
  try {
    schemaVersion = verify(partial);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
  renameSync(partial, target);
  return { file: target, bytes: statSync(target).size, schemaVersion };
}

/** True while another connection (a running server) has the store open. */
export function storeInUse(dataDir: string): boolean {
  const file = databaseFile(dataDir);
  if (!existsSync(file)) return false;
  const db = new Database(file, { timeout: 0, fileMustExist: true });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
    return false;
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY' || (err as { code?: string }).code === 'SQLITE_LOCKED') return true;
    throw err;
  } finally {
    db.close();
  }
}

export interface RestoreResult {
  file: string;
  schemaVersion: number;
  /** Where the store that was there before now is; undefined when there was none. */
  previous: string | undefined;
}

/** Puts the backup `src` in place as the store under `dataDir`. Refuses while a server has the store open. */
export async function restoreDatabase(dataDir: string, src: string, now = new Date()): Promise<RestoreResult> {
  const backup = resolve(src);
  if (!existsSync(backup)) throw new BackupError(`no backup at ${backup}`);
  const schemaVersion = verify(backup);
  mkdirSync(dataDir, { recursive: true });
  const target = databaseFile(dataDir);
  if (storeInUse(dataDir)) throw new BackupError(`a running server has ${target} open: stop it, then restore`);
  // Copied with the backup API rather than the file system, so that the copy is whole even if
  // the backup file is itself in WAL mode with frames in a -wal beside it.
  const incoming = `${target}.restoring`;
  rmSync(incoming, { force: true });
  const source = new Database(backup, { readonly: true, fileMustExist: true });
  try {
    await source.backup(incoming);
  } finally {
    source.close();
  }
  let previous: string | undefined;
  if (existsSync(target)) {
    // Fold any WAL into the old file before it is set aside, so that it is complete on its own.
    const old = new Database(target, { fileMustExist: true });
    try {
      old.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      old.close();
    }
    previous = `${target}.before-restore-${now.toISOString().replace(/[:.]/g, '-')}`;
    renameSync(target, previous);
  }
  // A -wal or -shm left beside the name would be replayed into the restored file.
  rmSync(`${target}-wal`, { force: true });
  rmSync(`${target}-shm`, { force: true });
  renameSync(incoming, target);
  return { file: target, schemaVersion, previous };
}

/** `npm run admin -- backup <file>` / `restore <file>`: prints what it did; the exit code for the CLI. */
export async function runBackupCommand(command: 'backup' | 'restore', args: readonly string[], dataDir: string, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const [file] = args;
  if (!file || args.length !== 1) {
    err(`usage: npm run admin -- ${command} <file>`);
    return 2;
  }
  try {
    if (command === 'backup') {
      const r = await backupDatabase(dataDir, file);
      out(`Backed up the store (schema ${r.schemaVersion}, ${r.bytes} bytes) to ${r.file}`);
    } else {
      const r = await restoreDatabase(dataDir, file);
      out(`Restored ${r.file} from ${resolve(file)} (schema ${r.schemaVersion})${r.previous ? `; the store it replaced is kept as ${r.previous}` : ''}`);
    }
    return 0;
  } catch (e) {
    if (e instanceof BackupError) {
      err(e.message);
      return 1;
    }
    throw e;
  }
}

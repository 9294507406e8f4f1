/**
 * The PostgreSQL majors in play: the test server's (PG_MAJOR, see global-setup) and the client
 * tools' on PATH (pg_dump, psql). pg_dump refuses a server newer than itself, so tests that need
 * it skip — with the reason — when the server is newer.
 */
import { execCapture } from '../../src/lib/process/exec.js';
import { parseVersion } from '../../src/lib/pg/versions.js';
import { harness } from './pg.js';

/** pg_dump's major on PATH, or undefined when it is missing. */
export async function clientToolsMajor(): Promise<number | undefined> {
  const r = await execCapture('pg_dump', ['--version'], { cwd: '/', env: { PATH: process.env.PATH } }).catch(() => undefined);
  return r?.exitCode === 0 ? parseVersion(r.stdout.replace(/^[^)]*\)/, ''))?.major : undefined;
}

/** Whether pg_dump/psql can work with a server of `serverMajor` (default: the test server's); the reason when not. */
export async function clientToolsCover(serverMajor = harness().major): Promise<{ ok: true } | { ok: false; reason: string }> {
  const client = await clientToolsMajor();
  if (client === undefined) return { ok: false, reason: 'pg_dump is not installed' };
  if (client < serverMajor) return { ok: false, reason: `pg_dump ${client} cannot dump a PostgreSQL ${serverMajor} server (client tools older than the server)` };
  return { ok: true };
}

/**
 * For test groups that need pg_dump (backups and what builds on them):
 * `describe.skipIf(tools.skip)(title + tools.note, …)`. The reason goes into the group's name,
 * and the file's output says it once (e.g. PG_MAJOR=17 with Debian's pg_dump 15).
 */
export async function needsClientTools(serverMajor?: number): Promise<{ skip: boolean; note: string }> {
  const c = await clientToolsCover(serverMajor);
  if (c.ok) return { skip: false, note: '' };
  console.warn(`skipping the tests that need pg_dump: ${c.reason}`);
  return { skip: true, note: ` [skipped: ${c.reason}]` };
}

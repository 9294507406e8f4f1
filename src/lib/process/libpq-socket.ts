/**
 * libpq's compiled-in default socket directory, found by asking libpq itself (running psql): the
 * password file maps that directory to "localhost" (pgpass.ts). A fact of this machine's libpq,
 * probed at most once per run: the probe is remembered by the Context that holds it, not by
 * this module.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * libpq's compiled-in default socket directory (DEFAULT_PGSOCKET_DIR): `/tmp` upstream and on
 * Homebrew, `/var/run/postgresql` on Debian, Ubuntu and Red Hat builds. `pg_config` does not
 * report it (Debian patches a header), so libpq is asked: psql without a host names the socket
 * it tried. Without psql, the distribution's folder when it exists, else upstream's `/tmp`.
 */
export function probeLibpqSocketDir(env: Readonly<Record<string, string | undefined>>): string {
  const r = spawnSync('psql', ['-X', '-w', '-d', 'port=1 user=mcpctl_probe dbname=mcpctl_probe connect_timeout=2'], {
    env: { PATH: env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C', PGSYSCONFDIR: '/nonexistent' },
    encoding: 'utf8',
    timeout: 5000,
  });
  const m = /socket "(.+)\/\.s\.PGSQL\.1"/.exec(`${r.stderr ?? ''}`);
  return m ? m[1]! : existsSync('/var/run/postgresql') ? '/var/run/postgresql' : '/tmp';
}

/**
 * The probe for a run's Context: psql runs on the first call only (and only when a host is a
 * socket path, since nothing else asks), later calls answer from this closure.
 */
export function libpqSocketDirProbe(env: Readonly<Record<string, string | undefined>>): () => string {
  let dir: string | undefined;
  return () => (dir ??= probeLibpqSocketDir(env));
}

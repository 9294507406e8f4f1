/**
 * libpq's compiled-in default socket directory, found by asking libpq itself (running psql): the
 * password file maps that directory to "localhost" (pgpass.ts). A fact of this machine's libpq,
 * probed once per process.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

let probedSocketDir: string | undefined;

/**
 * libpq's compiled-in default socket directory (DEFAULT_PGSOCKET_DIR): `/tmp` upstream and on
 * Homebrew, `/var/run/postgresql` on Debian, Ubuntu and Red Hat builds. `pg_config` does not
 * report it (Debian patches a header), so libpq is asked: psql without a host names the socket
 * it tried. Run once per process, only when a host is a socket path; without psql, the
 * distribution's folder when it exists, else upstream's `/tmp`.
 */
export function libpqDefaultSocketDir(): string {
  if (probedSocketDir !== undefined) return probedSocketDir;
  const r = spawnSync('psql', ['-X', '-w', '-d', 'port=1 user=mcpctl_probe dbname=mcpctl_probe connect_timeout=2'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C', PGSYSCONFDIR: '/nonexistent' },
    encoding: 'utf8',
    timeout: 5000,
  });
  const m = /socket "(.+)\/\.s\.PGSQL\.1"/.exec(`${r.stderr ?? ''}`);
  probedSocketDir = m ? m[1]! : existsSync('/var/run/postgresql') ? '/var/run/postgresql' : '/tmp';
  return probedSocketDir;
}

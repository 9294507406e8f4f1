/**
 * Client tools for the local cluster: pg_dump refuses a server newer than itself, and the
 * local cluster may run a newer major than the pg_dump on PATH (downloaded binaries, or a
 * second installed major). For a connection to the local cluster, PATH gets the cluster's own
 * bin folder first when it has pg_dump, else the newest installed folder whose pg_dump is at
 * least the cluster's major. Any other server: PATH is left as it is.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { dataMajor, localLayout, readLocalState } from './local-cluster.js';
import { candidateBinDirs } from './pg-bin.js';

type Env = Readonly<Record<string, string | undefined>>;

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

/** The folder to put first on PATH for the client tools, or undefined when none is needed. */
export async function localToolsDir(env: Env, home: string, host: string, port: number): Promise<string | undefined> {
  const l = localLayout(env, home);
  const state = readLocalState(l);
  if (!state || state.port !== port || !(LOCAL_HOSTS.has(host) || host === l.socketDir)) return undefined;
  if (existsSync(path.join(state.binDir, 'pg_dump'))) return state.binDir;
  const major = dataMajor(l);
  if (!major) return undefined;
  for (const c of await candidateBinDirs(env, home)) {
    if (c.source !== 'installed') continue;
    const m = Number(/(\d+)/.exec(path.basename(path.dirname(c.dir)))?.[1] ?? /postgresql@(\d+)/.exec(c.dir)?.[1]);
    if (m >= major && existsSync(path.join(c.dir, 'pg_dump'))) return c.dir;
  }
  return undefined;
}

/** `env` with the local cluster's client tools first on PATH (when the target is the local cluster). */
export async function withLocalTools(env: Env, home: string, host: string, port: number): Promise<Env> {
  const dir = await localToolsDir(env, home, host, port);
  return dir ? { ...env, PATH: [dir, env.PATH].filter(Boolean).join(path.delimiter) } : env;
}

/**
 * Helpers for tests of `mcpctl db` and `setup-db --local`: a fresh HOME that the server's OS
 * user can reach (under the harness's folder), mcpctl run in-process or as a real process (also
 * as another OS user), and a clean-up that stops whatever cluster a HOME holds.
 */
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { localLayout } from '../../src/lib/local-pg/cluster.js';
import { pgCtlStop, postmasterState, serverUser } from '../../src/commands/db/server.js';
import { harness, uniqueName } from './pg.js';
import { BIN, runMain, type CliResult } from './project.js';

export interface FreshHome {
  home: string;
  env: Record<string, string>;
  layout: ReturnType<typeof localLayout>;
  /** mcpctl in this process (counted by coverage). */
  db(args: string[], extraEnv?: Record<string, string>): Promise<CliResult>;
  /** Stops the home's cluster when it runs and deletes the home. */
  cleanup(): Promise<void>;
}

/** A new HOME (mode 0755, owned by `owner` when given) with no mcpctl state. */
export async function freshHome(opts: { owner?: { uid: number; gid: number }; env?: Record<string, string> } = {}): Promise<FreshHome> {
  const home = path.join(harness().baseDir, uniqueName('home'));
  await fs.mkdir(home, { mode: 0o755 });
  if (opts.owner) await fs.chown(home, opts.owner.uid, opts.owner.gid);
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', ...networkEnv(), ...(process.env.MCPCTL_PG_BIN ? { MCPCTL_PG_BIN: process.env.MCPCTL_PG_BIN } : {}), ...opts.env };
  const layout = localLayout(env, home);
  return {
    home,
    env,
    layout,
    db: (args, extraEnv = {}) => runMain(args, { cwd: home, env: { ...env, ...extraEnv }, home }),
    cleanup: async () => {
      await stopLeftover(layout.dataDir);
      await fs.rm(home, { recursive: true, force: true });
    },
  };
}

/** The machine's network settings (CA bundles, proxies, npm's registry), which a user's shell would have. */
function networkEnv(): Record<string, string> {
  const keep = /^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|https?_proxy|no_proxy|npm_config_.*)$/i;
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => keep.test(e[0]) && e[1] !== undefined && !/^npm_config_(user|global)config$/i.test(e[0])));
}

/** Stops a cluster a test left running (immediate: it is about to be deleted). */
export async function stopLeftover(dataDir: string): Promise<void> {
  if (!existsSync(dataDir) || !postmasterState(dataDir)) return;
  const state = JSON.parse(await fs.readFile(path.join(path.dirname(dataDir), 'cluster.json'), 'utf8').catch(() => '{}')) as { binDir?: string };
  if (state.binDir) await pgCtlStop({ binDir: state.binDir, runAs: await serverUser(process.getuid?.()), env: process.env }, dataDir, 'immediate').catch(() => undefined);
}

/** Runs the built CLI as a real process, optionally as another OS user. */
export function cliAs(args: string[], opts: { cwd: string; env: Record<string, string>; uid?: number; gid?: number; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: opts.cwd, env: { CI: 'true', ...opts.env }, uid: opts.uid, gid: opts.gid, timeout: opts.timeoutMs ?? 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

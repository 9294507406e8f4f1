import { loadConfig, type LoadedConfig } from '../../lib/config/load.js';
import { KEYS } from '../../lib/config/keys.js';
import type { Context } from '../../lib/cli/context.js';
import { resolveAppPassword, type AppPassword } from '../../lib/config/credentials.js';
import { execCapture, type ExecResult } from '../../lib/process/exec.js';
import { workTreeRoot, type GitDeps } from '../../lib/git/porcelain.js';
import { pythonFacts, type PythonFacts } from './python.js';

/**
 * What several verify-env checks need, gathered once: the configuration (or why it failed to
 * load), the git work tree, the project's Python, the app password, and the tool runner.
 */
export interface EnvFacts {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  timeoutMs: number;
  /** Runs an external tool with the check timeout. */
  tool: (file: string, args: string[]) => Promise<ExecResult>;
  git: GitDeps;
  loaded: LoadedConfig | undefined;
  /** Why the configuration did not load (undefined when it did). */
  configError: unknown;
  /** The interpreter serve would run the server with. */
  python: Promise<PythonFacts>;
  /** The app password, read once on first use (undefined when the configuration is invalid). */
  appPassword: () => Promise<AppPassword | undefined>;
  /** The work tree's top folder, or undefined outside git. */
  gitRoot: Promise<string | undefined>;
}

/** The configuration as verify-env receives it: loaded, or why it did not load (itself a check). */
export type ConfigLoad = { loaded: LoadedConfig; error?: undefined } | { loaded?: undefined; error: unknown };

/** Loads the configuration for verify-env; a failure is data here, reported by the `config` check. */
export async function loadConfigForCheck(ctx: Pick<Context, 'cwd' | 'env' | 'secrets'>): Promise<ConfigLoad> {
  try {
    return { loaded: await loadConfig({ cwd: ctx.cwd, env: ctx.env, secrets: ctx.secrets }) };
  } catch (error) {
    return { error };
  }
}

export function gatherFacts(ctx: Pick<Context, 'cwd' | 'env' | 'home' | 'secrets' | 'libpqSocketDir'>, config: ConfigLoad, timeoutMs: number, log?: (line: string) => void): EnvFacts {
  const { cwd, env } = ctx;
  const { loaded, error: configError } = config;
  const gdeps: GitDeps = { cwd, env, log };
  // Read lazily: a rejection must meet its awaiting check, never sit unhandled meanwhile.
  let password: Promise<AppPassword> | undefined;
  return {
    cwd,
    env,
    timeoutMs,
    tool: (file, args) => execCapture(file, args, { cwd, env, timeoutMs, log }),
    git: gdeps,
    loaded,
    configError,
    python: pythonFacts(cwd, env, loaded?.values.MCP_SERVER_COMMAND ?? KEYS.MCP_SERVER_COMMAND.default),
    appPassword: async () => {
      if (!loaded) return undefined;
      password ??= resolveAppPassword(loaded.values, ctx, loaded.resolved.POSTGRES_PASSWORD.source?.label);
      return password;
    },
    gitRoot: workTreeRoot(gdeps),
  };
}

/**
 * `mcpctl verify-env`: the tools, the project's Python, its files and git hygiene, and the MCP
 * clients, checked concurrently. Facts several checks share are gathered once (facts.ts); each
 * group of checks lives in checks/.
 */
import { platform } from 'node:os';
import { maskValue, ConfigError, type LoadedConfig } from '../../lib/config/load.js';
import { CONFIG_KEYS } from '../../lib/config/keys.js';
import { maskDatabaseUrl } from '../../lib/config/url-keys.js';
import type { CoreDeps, DebugEvent } from '../../lib/cli/core-deps.js';
import { makeReport, runCheck, type Check, type Report } from '../../lib/cli/report.js';
import { clientsOutcome } from './clients.js';
import { packagesOutcome, serverCommandOutcome, venvOutcome } from './python.js';
import { gatherFacts, type ConfigLoad, type EnvFacts } from './facts.js';
import { pgDumpServerCheck, toolChecks } from './checks/tools.js';
import { configCheck, envFileCheck, envLocalCheck } from './checks/project-files.js';
import { gitignoreCheck, preCommitCheck, secretsInGitCheck } from './checks/git.js';

/** Options of `mcpctl verify-env`. */
export interface VerifyEnvOptions {
  strict?: boolean;
  explain?: boolean;
  /** Python packages that must be importable (default: fastmcp). */
  pythonPackages?: string[];
  /** Milliseconds allowed for each external tool and the server probe. */
  timeoutMs?: number;
  /** Where MCP clients keep their files differs per platform (default: this one). */
  platform?: NodeJS.Platform;
}

/** One line of `--explain`. */
export interface ExplainRow {
  key: string;
  value: string;
  source: string;
  /** Lower sources that also set the key; `same`: with the value that won (nothing was overridden). */
  overridden: { source: string; value: string; same: boolean }[];
}

export interface VerifyEnvResult extends Report {
  /** The configuration is invalid: a configuration error (exit 2), not only a failed check. */
  configInvalid: boolean;
  explain?: ExplainRow[];
}

/** What verify-env tells its adapter while it runs: each external command (for --debug). */
export type VerifyEnvEvent = DebugEvent;

export type VerifyEnvDeps = Pick<CoreDeps<VerifyEnvEvent, ConfigLoad>, 'config' | 'events'> & {
  ctx: Pick<CoreDeps['ctx'], 'cwd' | 'env' | 'home' | 'secrets' | 'libpqSocketDir'>;
};

/** The checks that need the project's Python, its files, git and the clients (after the tools). */
function projectChecks(f: EnvFacts, gitRoot: string | undefined, deps: VerifyEnvDeps, options: VerifyEnvOptions): Promise<Check>[] {
  return [
    runCheck('venv', async () => venvOutcome(await f.python)),
    runCheck('python-packages', async () => packagesOutcome(await f.python, f.tool, options.pythonPackages?.length ? options.pythonPackages : ['fastmcp'])),
    runCheck('server-command', async () => serverCommandOutcome(await f.python, f.tool, f.cwd, f.loaded?.resolved.MCP_SERVER_COMMAND.source?.kind !== 'default')),
    envFileCheck(f),
    configCheck(f),
    envLocalCheck(f, gitRoot),
    gitignoreCheck(f, gitRoot),
    secretsInGitCheck(f, gitRoot),
    preCommitCheck(f, gitRoot),
    runCheck('clients', async () => clientsOutcome({ ctx: deps.ctx, platform: options.platform ?? platform(), password: (await f.appPassword())?.password })),
  ];
}

export async function runVerifyEnv(deps: VerifyEnvDeps, options: VerifyEnvOptions = {}): Promise<VerifyEnvResult> {
  const log = (text: string) => deps.events({ type: 'debug', text });
  const f = gatherFacts(deps.ctx, deps.config, options.timeoutMs ?? 10_000, log);
  const tools = await toolChecks(f);
  const gitRoot = await f.gitRoot;
  const rest = await Promise.all([pgDumpServerCheck(f, tools.pgDump), ...projectChecks(f, gitRoot, deps, options)]);
  const report = makeReport([...tools.checks, ...rest], options.strict);
  const result: VerifyEnvResult = { ...report, configInvalid: f.configError instanceof ConfigError };
  if (options.explain) {
    const resolved = f.loaded?.resolved ?? (f.configError instanceof ConfigError ? f.configError.resolved : undefined);
    if (resolved) result.explain = explainRows(resolved, f.loaded?.urlKeys);
  }
  return result;
}

/** `--explain` rows: masked value, the source that won, and the sources it overrode. */
export function explainRows(resolved: LoadedConfig['resolved'], urlKeys: LoadedConfig['urlKeys'] = {}): ExplainRow[] {
  // URL keys carry the password inside them: shown with it masked, like every secret.
  const urls = Object.entries(urlKeys).map(([key, u]) => ({ key, value: maskDatabaseUrl(u.value), source: u.source.label, overridden: [] }));
  return [
    ...CONFIG_KEYS.map((key) => {
      const r = resolved[key];
      return {
        key,
        value: maskValue(key, r.value),
        source: r.source?.label ?? 'unset',
        overridden: r.overridden.map((o) => ({ source: o.source.label, value: maskValue(key, o.value), same: o.value === r.value })),
      };
    }),
    ...urls,
  ];
}

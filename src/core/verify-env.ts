import { promises as fs } from 'node:fs';
import { platform } from 'node:os';
import path from 'node:path';
import { loadConfig, maskValue, formatIssue, ConfigError, type LoadedConfig } from '../lib/config/load.js';
import { CONFIG_KEYS, KEYS } from '../lib/config/keys.js';
import { maskDatabaseUrl } from '../lib/config/url-keys.js';
import type { Context } from '../lib/context.js';
import { resolveAppPassword } from '../lib/credentials.js';
import { displayArg, run } from '../lib/exec.js';
import { filesContaining, gitPath, historyContaining, trackedAmong, workTreeRoot, type GitDeps } from '../lib/git.js';
import { missingIgnorePatterns } from '../lib/gitignore.js';
import { appTarget, serverVersion, withClient } from '../lib/pg.js';
import { fail, makeReport, pass, runCheck, skip, warn, type Check, type CheckOutcome, type Report } from '../lib/report.js';
import { compareVersions, parseVersion, type Version } from '../lib/versions.js';
import { pathExists } from '../lib/fs-exists.js';
import { clientsOutcome } from './verify-env-clients.js';
import { packagesOutcome, pythonFacts, serverCommandOutcome, venvOutcome } from './verify-env-python.js';

/** Options of `mcpctl verify-env`. */
export interface VerifyEnvOptions {
  strict?: boolean;
  explain?: boolean;
  /** Python packages that must be importable (default: fastmcp). */
  pythonPackages?: string[];
  /** Milliseconds allowed for each external tool and the server probe. */
  timeoutMs?: number;
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

export interface VerifyEnvDeps {
  ctx: Pick<Context, 'cwd' | 'env' | 'home'>;
  log?: (line: string) => void;
  /** Where MCP clients keep their files differs per platform (default: this one). */
  platform?: NodeJS.Platform;
}

const DEFAULT_PYTHON = '3.11';
const MIN_PG_CLIENT = 14;

/** The checks of verify-env, in report order. */
export const VERIFY_ENV_CHECKS = [
  'python',
  'node',
  'git',
  'psql',
  'pg_dump',
  'pg_dump-server',
  'venv',
  'python-packages',
  'server-command',
  'env-file',
  'config',
  'env-local',
  'gitignore',
  'secrets-in-git',
  'pre-commit',
  'clients',
] as const;

export async function runVerifyEnv(deps: VerifyEnvDeps, options: VerifyEnvOptions = {}): Promise<VerifyEnvResult> {
  const { cwd, env } = deps.ctx;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const tool = (file: string, args: string[]) => run(file, args, { cwd, env, timeoutMs, log: deps.log });
  const gdeps: GitDeps = { cwd, env, log: deps.log };

  // Configuration first: several checks depend on it.
  let loaded: LoadedConfig | undefined;
  let configError: unknown;
  try {
    loaded = await loadConfig({ cwd, env });
  } catch (e) {
    configError = e;
  }

  const gitRootP = workTreeRoot(gdeps);
  // The interpreter serve would run the server with: every Python check asks the same resolver.
  const pyP = pythonFacts(cwd, env, loaded?.values.MCP_SERVER_COMMAND ?? KEYS.MCP_SERVER_COMMAND.default);

  const versionCheck = async (name: string, file: string, args: string[], min: Version | undefined, installHint: string): Promise<CheckOutcome & { version?: Version }> => {
    const r = await tool(file, args);
    if (r.notFound || (r.exitCode !== 0 && !r.stdout && !r.stderr)) return fail(`${file} not found on PATH`, installHint);
    if (r.exitCode !== 0) return fail(`${file} ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`, installHint);
    const v = parseVersion(r.stdout || r.stderr);
    if (!v) return warn(`${name}: could not read a version from "${(r.stdout || r.stderr).trim()}"`);
    if (min && compareVersions(v, min) < 0) return { ...fail(`${name} ${v.raw} is older than ${min.raw}`, installHint), version: v };
    return { ...pass(`${name} ${v.raw}`), version: v };
  };

  const pythonCheck = async (): Promise<CheckOutcome> => {
    const wanted = await readPythonVersion(cwd);
    const min = parseVersion(wanted.version)!;
    const py = await pyP;
    const out = await versionCheck('python', py.python ?? 'python3', ['--version'], min, `install Python ≥ ${wanted.version} (${wanted.source}), e.g. with pyenv or uv`);
    return out.status === 'pass' ? pass(`${out.message} (${py.pythonLabel}; ≥ ${wanted.version} from ${wanted.source})`) : out;
  };

  let pgDumpVersion: Version | undefined;
  const pgDumpCheck = async (): Promise<CheckOutcome> => {
    const r = await versionCheck('pg_dump', 'pg_dump', ['--version'], { major: MIN_PG_CLIENT, minor: 0, patch: 0, raw: String(MIN_PG_CLIENT) }, 'install the PostgreSQL client ≥ 14 (apt install postgresql-client, brew install libpq)');
    pgDumpVersion = r.version;
    return r;
  };

  const [python, node, gitC, psql, pgDump] = await Promise.all([
    runCheck('python', pythonCheck),
    runCheck('node', async () => {
      const out = await versionCheck('node', 'node', ['--version'], { major: 20, minor: 0, patch: 0, raw: '20' }, 'install Node.js 20 or newer');
      return out;
    }),
    runCheck('git', () => versionCheck('git', 'git', ['--version'], { major: 2, minor: 0, patch: 0, raw: '2.0' }, 'install git')),
    runCheck('psql', () =>
      versionCheck('psql', 'psql', ['--version'], { major: MIN_PG_CLIENT, minor: 0, patch: 0, raw: String(MIN_PG_CLIENT) }, 'install the PostgreSQL client ≥ 14 (apt install postgresql-client, brew install libpq)'),
    ),
    runCheck('pg_dump', pgDumpCheck),
  ]);

  // Two checks need the app password: read the configuration and the password file once.
  const appPassword = loaded ? resolveAppPassword(loaded.values, deps.ctx, loaded.resolved.POSTGRES_PASSWORD.source?.label) : undefined;

  const serverCheck = runCheck('pg_dump-server', async () => {
    if (!pgDumpVersion) return skip('pg_dump not available');
    if (!loaded) return skip('configuration invalid');
    const cfg = loaded.values;
    const pw = (await appPassword)!;
    let major: number;
    try {
      major = (await withClient({ ...appTarget(cfg, pw.password), timeoutMs: Math.min(timeoutMs, 3000) }, serverVersion)).major;
    } catch (e) {
      return skip(`server did not answer (${(e as Error).message})`);
    }
    if (pgDumpVersion.major < major) {
      return fail(`pg_dump ${pgDumpVersion.major} is older than the server (${major})`, `install the PostgreSQL ${major} client tools so backups can be taken`);
    }
    return pass(`pg_dump ${pgDumpVersion.major} ≥ server ${major}`);
  });

  const venvCheck = runCheck('venv', async () => venvOutcome(await pyP));
  const packagesCheck = runCheck('python-packages', async () => packagesOutcome(await pyP, tool, options.pythonPackages?.length ? options.pythonPackages : ['fastmcp']));
  const serverCommandCheck = runCheck('server-command', async () =>
    serverCommandOutcome(await pyP, tool, cwd, loaded?.resolved.MCP_SERVER_COMMAND.source?.kind !== 'default'),
  );

  const envFileCheck = runCheck('env-file', async () => {
    if (loaded?.files.envExists ?? (await pathExists(path.join(cwd, '.env')))) return pass('.env present');
    return fail(`.env not found in ${cwd}`, (await pathExists(path.join(cwd, '.env.template'))) ? 'cp .env.template .env, then fill it in' : 'create .env (see .env.template in the mcpctl package)');
  });

  const configCheck = runCheck('config', async () => {
    if (configError instanceof ConfigError) {
      const all = [...configError.issues.map(formatIssue), ...configError.warnings.map((w) => `warning ${formatIssue(w)}`)];
      return fail(all.join('; '), 'fix the values; `mcpctl verify-env --explain` shows where each comes from');
    }
    if (configError) throw configError;
    const w = loaded!.warnings;
    if (w.length) return warn(w.map(formatIssue).join('; '), 'remove or rename the keys above');
    return pass('all values valid');
  });

  const gitRoot = await gitRootP;
  const envLocalCheck = runCheck('env-local', async () => {
    const file = path.join(cwd, '.env.local');
    let st;
    try {
      st = await fs.stat(file);
    } catch {
      return skip('.env.local not present (setup-db creates it)');
    }
    const problems: string[] = [];
    const hints: string[] = [];
    const mode = st.mode & 0o777;
    if (mode & 0o077) {
      problems.push(`mode ${mode.toString(8).padStart(4, '0')} lets others read it`);
      hints.push(`chmod 600 ${file}`);
    }
    if (gitRoot && (await trackedAmong(gdeps, ['.env.local'])).length) {
      problems.push('tracked by git');
      hints.push('git rm --cached .env.local, and rotate the password: mcpctl setup-db --rotate-password');
    }
    if (problems.length) return fail(`.env.local ${problems.join(' and ')}`, hints.join('; '));
    return pass(`.env.local mode 0600${gitRoot ? ', not tracked' : ''}`);
  });

  const gitignoreCheck = runCheck('gitignore', async () => {
    if (!gitRoot) return skip('not a git work tree');
    const missing = await missingIgnorePatterns(gdeps);
    if (missing.length) {
      return fail(`.gitignore does not cover ${missing.join(', ')}`, `add these lines to .gitignore: ${missing.join('  ')} (or run \`mcpctl setup-db\`)`);
    }
    return pass('.env, .env.local and .env.*.local are ignored');
  });

  const secretsCheck = runCheck('secrets-in-git', async () => {
    if (!gitRoot) return skip('not a git work tree');
    if (!loaded) return skip('configuration invalid');
    const pw = (await appPassword)!;
    if (!pw.password) return skip('no password configured');
    const [found, history] = await Promise.all([filesContaining(gdeps, pw.password), historyContaining(gdeps, pw.password)]);
    const files = [...new Set([...found.worktree, ...found.head.map((f) => `${f} (HEAD)`)])];
    const rotate = 'rotate it: mcpctl setup-db --rotate-password';
    const paths = [...new Set(history.map((h) => h.path))];
    const purge = `to purge the history, rewrite it (git filter-repo --invert-paths ${paths.map((p) => `--path ${displayArg(p)}`).join(' ')}, or --replace-text), then git push --force --all and --tags, and have every clone re-cloned`;
    if (files.length) {
      return fail(`the configured password appears in tracked files: ${files.join(', ')}`, `remove it from those files, commit, and ${rotate}${history.length ? `; ${purge}` : ''}`);
    }
    if (history.length) {
      const commits = (c: string[]) => (c.length ? `commit${c.length > 1 ? 's' : ''} ${c.slice(0, 3).join(', ')}${c.length > 3 ? ', …' : ''}` : 'no commit on a ref');
      const where = history.map((h) => `${h.path} (${commits(h.commits)})`);
      return fail(`the configured password is in the git history: ${where.join(', ')}`, `treat it as leaked and ${rotate}; ${purge}`);
    }
    return pass('the password is in no tracked file and nowhere in the history');
  });

  const preCommitCheck = runCheck('pre-commit', async () => {
    if (!gitRoot) return skip('not a git work tree');
    const hooksPathR = await run('git', ['config', '--get', 'core.hooksPath'], { cwd, env: { ...env, LC_ALL: 'C' }, log: deps.log });
    const hook = hooksPathR.exitCode === 0 && hooksPathR.stdout.trim() ? path.resolve(gitRoot, hooksPathR.stdout.trim(), 'pre-commit') : await gitPath(gdeps, 'hooks/pre-commit');
    const hasConfig = await pathExists(path.join(gitRoot, '.pre-commit-config.yaml'));
    if (hook && (await isExecutable(hook))) return pass(`hook installed (${path.relative(gitRoot, hook) || hook})`);
    return warn('no pre-commit hook installed', hasConfig ? 'run: pre-commit install' : 'add a .pre-commit-config.yaml (for example with detect-secrets), then: pre-commit install');
  });

  const clientsCheck = runCheck('clients', async () =>
    clientsOutcome({ ctx: deps.ctx, platform: deps.platform ?? platform(), password: loaded ? (await appPassword)?.password : undefined }),
  );

  const rest = await Promise.all([serverCheck, venvCheck, packagesCheck, serverCommandCheck, envFileCheck, configCheck, envLocalCheck, gitignoreCheck, secretsCheck, preCommitCheck, clientsCheck]);
  const checks: Check[] = [python, node, gitC, psql, pgDump, ...rest];
  const report = makeReport(checks, options.strict);
  const result: VerifyEnvResult = { ...report, configInvalid: configError instanceof ConfigError };
  if (options.explain) {
    const resolved = loaded?.resolved ?? (configError instanceof ConfigError ? configError.resolved : undefined);
    if (resolved) result.explain = explainRows(resolved, loaded?.urlKeys);
  }
  return result;
}

/** `--explain` rows: masked value, the source that won, and the sources it overrode. */
export function explainRows(resolved: LoadedConfig['resolved'], urlKeys: LoadedConfig['urlKeys'] = {}): ExplainRow[] {
  // URL keys carry the password inside them: shown with it masked, like every secret.
  const urls = Object.entries(urlKeys).map(([key, u]) => ({ key, value: maskDatabaseUrl(u.value), source: u.source.label, overridden: [] }));
  return [...CONFIG_KEYS.map((key) => {
    const r = resolved[key];
    return {
      key,
      value: maskValue(key, r.value),
      source: r.source?.label ?? 'unset',
      overridden: r.overridden.map((o) => ({ source: o.source.label, value: maskValue(key, o.value), same: o.value === r.value })),
    };
  }), ...urls];
}

async function readPythonVersion(cwd: string): Promise<{ version: string; source: string }> {
  try {
    const text = await fs.readFile(path.join(cwd, '.python-version'), 'utf8');
    const first = text.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('#'));
    const v = first && /(\d+\.\d+(?:\.\d+)?)/.exec(first);
    if (v?.[1]) return { version: v[1], source: '.python-version' };
  } catch {
    // No file: the default applies.
  }
  return { version: DEFAULT_PYTHON, source: 'default' };
}

async function isExecutable(p: string): Promise<boolean> {
  try {
    const st = await fs.stat(p);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

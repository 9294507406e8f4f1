import { Option, type Command } from 'commander';
import { ExitCode, ExitError, UsageError } from '../../lib/cli/errors.js';
import { action, collect, intOption, loadCommandConfig, optionPath, userPath, type EnvFactory } from '../shared.js';
import { COMMAND_DESCRIPTIONS } from '../catalog.js';
import { printable } from '../../lib/cli/printable.js';

interface BackupOpts {
  db?: string[];
  allProjects?: boolean;
  dir: string;
  format: 'sql' | 'custom';
  compress: 'gzip' | 'zstd' | 'none';
  verify?: boolean;
  keep?: number;
  concurrency: number;
}


interface RestoreOpts {
  db?: string;
  confirm?: string;
}

export function registerBackup(program: Command, makeEnv: EnvFactory): void {
  const backup = program
    .command('backup')
    .description(COMMAND_DESCRIPTIONS['backup'])
    .option('--db <name>', 'database to back up (repeatable; default POSTGRES_DB)', collect)
    .option('--all-projects', 'every database the app role owns, each in its own file')
    .option('--dir <dir>', 'backup folder, relative to the project', 'backups')
    .addOption(new Option('--format <format>', 'plain SQL, or pg_dump custom format (.dump, for pg_restore)').choices(['sql', 'custom']).default('sql'))
    .addOption(new Option('--compress <method>', 'compression of the file').choices(['gzip', 'zstd', 'none']).default('gzip'))
    .option('--verify', 'restore into a scratch database and compare every table\'s row count, then drop it')
    .option('--keep <n>', "after a success, keep only the database's n newest backups", intOption('--keep'))
    .option('--concurrency <n>', 'databases dumped at once', intOption('--concurrency', 1, 16), 2)
    .addHelpText(
      'after',
      '\nFiles: <dir>/<db>_<YYYYMMDD_HHMMSS>.sql.gz (.sql.zst, .sql, .dump; UTC) with <file>.sha256 beside it.\n' +
        '\nExamples:\n  $ mcpctl backup\n  $ mcpctl backup --all-projects --verify --keep 7\n  $ mcpctl backup --compress zstd --json\n  $ mcpctl backup list\n  $ mcpctl backup restore backups/project_registry_20260126_093015.sql.gz --confirm project_registry',
    )
    .action(
      action<BackupOpts>(makeEnv, async (env, opts, _args, cmd) => {
        const { out } = env;
        const loaded = await loadCommandConfig(env);
        const ctx = await localToolsCtx(env.ctx, loaded.values);
        const [{ runBackup }, view] = await Promise.all([import('./run.js'), import('./render.js')]);
        const progress = view.progressLine(out);
        const result = await runBackup(
          { ctx, config: loaded, events: (e) => (e.type === 'debug' ? out.debug(e.text) : progress(e)) },
          { databases: opts.db, allProjects: opts.allProjects, dir: optionPath(ctx, cmd, 'dir'), format: opts.format, compress: opts.compress, verify: opts.verify, keep: opts.keep, concurrency: opts.concurrency },
        );
        for (const w of result.warnings) out.warn(printable(w));
        if (out.json) out.result(result);
        else view.renderBackup(out, result);
        if (!result.ok) throw new ExitError(ExitCode.failed);
      }),
    );
  registerList(backup, makeEnv);
  registerRestore(backup, makeEnv);
}

function registerList(backup: Command, makeEnv: EnvFactory): void {
  backup
    .command('list')
    .description('every dump in the folder: database, time, size, format, and whether each checksum matches')
    .option('--dir <dir>', 'backup folder, relative to the project', 'backups')
    .action(
      action<{ dir: string }>(makeEnv, async ({ ctx, out }, opts, _args, cmd) => {
        const [{ runBackupList }, { renderList }] = await Promise.all([import('./list.js'), import('./render.js')]);
        const result = await runBackupList({ ctx }, { dir: fromParent<string>(cmd, 'dir') !== undefined ? optionPath(ctx, cmd.parent!, 'dir') : optionPath(ctx, cmd, 'dir') });
        if (out.json) out.result(result);
        else renderList(out, result);
        if (!result.ok) throw new ExitError(ExitCode.failed);
      }),
    );
}

function registerRestore(backup: Command, makeEnv: EnvFactory): void {
  backup
    .command('restore <file>')
    .description('restore a backup in one transaction (checksum checked first)')
    .option('--db <name>', "target database (default: the one in an mcpctl backup's name; needed for any other file)")
    .option('--confirm <name>', 'the target database\'s name: confirms replacing a database that holds tables')
    .addHelpText('after', '\nExamples:\n  $ mcpctl backup restore backups/project_registry_20260126_093015.sql.gz\n  $ mcpctl backup restore backups/x.dump --db scratch_copy\n  $ mcpctl backup restore backups/x.sql.zst --confirm project_registry')
    .action(
      action<RestoreOpts>(makeEnv, async (env, opts, args, cmd) => {
        const { out, prompter } = env;
        const dbs = fromParent<string[]>(cmd, 'db');
        if (dbs && dbs.length > 1) throw new UsageError('backup restore takes one --db', { hint: 'restore into one database at a time' });
        const database = dbs?.[0] ?? opts.db;
        const loaded = await loadCommandConfig(env);
        const ctx = await localToolsCtx(env.ctx, loaded.values);
        const { runRestore } = await import('./restore.js');
        const { formatMs } = await import('../../lib/cli/output.js');
        const result = await runRestore(
          {
            ctx,
            config: loaded,
            prompter,
            events: (p) => {
              if (p.type === 'debug') return out.debug(p.text);
              if (p.checksum === 'missing') out.warn(`${printable(p.file)} has no .sha256 beside it; restoring without a checksum check`);
              out.status(`restoring into ${printable(p.database)} (${p.mode === 'created' ? 'new database' : p.mode === 'replaced' ? `replacing ${p.tables} tables` : 'empty database'})…`);
            },
          },
          { file: userPath(ctx, args[0]!), database, confirm: opts.confirm },
        );
        if (out.json) out.result(result);
        else {
          const how = { created: 'into a new database', restored: 'into the empty database', replaced: 'replacing the database' }[result.mode];
          out.success(`✓ restored ${printable(result.file)} ${how} ${printable(result.database)} in ${formatMs(result.durationMs)}`);
        }
      }),
    );
}

/**
 * Commander gives an option the parent also defines (`--dir`, `--db`) to the parent even
 * when it follows the subcommand (positional options would need the root to enable them,
 * which would move the global options). So a subcommand reads it back from there.
 */
function fromParent<T>(cmd: Command, name: string): T | undefined {
  const parent = cmd.parent;
  return parent && parent.getOptionValueSource(name) === 'cli' ? (parent.opts()[name] as T) : undefined;
}

/** Against the local cluster (`mcpctl db`), its own client tools (or installed ones of its major) come first on PATH. */
async function localToolsCtx<C extends { env: Readonly<Record<string, string | undefined>>; home: string }>(ctx: C, cfg: { POSTGRES_HOST: string; POSTGRES_PORT: number }): Promise<C> {
  const { withLocalTools } = await import('./local-tools.js');
  return { ...ctx, env: await withLocalTools(ctx.env, ctx.home, cfg.POSTGRES_HOST, cfg.POSTGRES_PORT) };
}

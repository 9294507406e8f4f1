import { Option, type Command } from 'commander';
import { ExitCode, ExitError, UsageError } from '../lib/errors.js';
import { action, collect, intOption, loadCommandConfig, optionPath, userPath, type EnvFactory } from './shared.js';
import { COMMAND_DESCRIPTIONS } from './catalog.js';

interface BackupOpts {
  db?: string[];
  allProjects?: boolean;
  dir: string;
  format: 'sql' | 'custom';
  compress: 'gzip' | 'zstd' | 'none';
  verify?: boolean;
  keep?: number;
  concurrency: number;
  gzipWith?: 'zlib' | 'gzip';
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
    // For measurement (the benchmark): which gzip implementation. Not part of the contract.
    .addOption(new Option('--gzip-with <impl>', 'gzip in-process (zlib) or with the gzip program').choices(['zlib', 'gzip']).hideHelp())
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
        const { runBackup } = await import('../core/backup.js');
        const { formatBytes, formatMs } = await import('../lib/output.js');
        const lines = new Map<string, string>();
        const result = await runBackup(
          {
            ctx,
            config: loaded,
            log: out.debug,
            onProgress: (p) => {
              const bytes = p.dumped ?? p.written;
              const rate = p.elapsedMs > 0 ? Math.round((bytes / p.elapsedMs) * 1000) : 0;
              const dumped = p.dumped === undefined ? '' : `${formatBytes(p.dumped)} dumped → `;
              lines.set(p.database, `${p.database}: ${dumped}${formatBytes(p.written)} written, ${formatBytes(rate)}/s`);
              out.status([...lines.values()].join('  |  '));
            },
          },
          { databases: opts.db, allProjects: opts.allProjects, dir: optionPath(ctx, cmd, 'dir'), format: opts.format, compress: opts.compress, verify: opts.verify, keep: opts.keep, concurrency: opts.concurrency, gzipWith: opts.gzipWith },
        );
        for (const w of result.warnings) out.warn(w);
        if (out.json) out.result(result);
        else {
          for (const b of result.backups) {
            if (b.path) {
              const mark = b.ok ? out.paint('success', '✓') : out.paint('error', '✗');
              out.info(`${mark} ${b.database} → ${b.path}`);
              const sql = b.dumpedBytes === undefined ? '' : ` (${formatBytes(b.dumpedBytes)} of SQL)`;
              out.info(`    ${formatBytes(b.size!)}${sql} in ${formatMs(b.durationMs)}  sha256 ${b.sha256}`);
            }
            if (b.verify) out.info(`    verify: ${b.verify.message} ${out.paint('muted', `(${formatMs(b.verify.durationMs)})`)}`);
            if (b.pruned.length) out.info(`    pruned ${b.pruned.length} older backup(s): ${b.pruned.map((p) => p.split('/').pop()).join(', ')}`);
            if (b.error) out.error(`${b.database}: ${b.error.message}`, b.error.hint);
          }
          const failed = result.backups.filter((b) => !b.ok).length;
          if (result.backups.length > 1) out.info(failed ? out.paint('error', `${failed} of ${result.backups.length} backups failed`) : out.paint('success', `${result.backups.length} backups written`));
        }
        if (!result.ok) throw new ExitError(ExitCode.failed);
      }),
    );

  backup
    .command('list')
    .description('every dump in the folder: database, time, size, format, and whether each checksum matches')
    .option('--dir <dir>', 'backup folder, relative to the project', 'backups')
    .action(
      action<{ dir: string }>(makeEnv, async ({ ctx, out }, opts, _args, cmd) => {
        const { runBackupList } = await import('../core/backup-list.js');
        const { formatBytes } = await import('../lib/output.js');
        const result = await runBackupList({ ctx }, { dir: fromParent<string>(cmd, 'dir') !== undefined ? optionPath(ctx, cmd.parent!, 'dir') : optionPath(ctx, cmd, 'dir') });
        if (out.json) out.result(result);
        else if (result.backups.length === 0) out.info(`no backups in ${result.dir}`);
        else {
          const rows = result.backups.map((b) => [
            b.database ?? '(foreign)',
            b.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
            formatBytes(b.size),
            `${b.format}${b.compression === 'none' ? '' : `+${b.compression}`}`,
            b.origin === 'foreign' && b.checksum === 'missing' ? 'no checksum' : b.checksum,
            b.file.split('/').pop()!,
          ]);
          const head = ['DATABASE', 'TIME (UTC)', 'SIZE', 'FORMAT', 'CHECKSUM', 'FILE'];
          const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
          const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ');
          out.info(out.paint('strong', fmt(head)));
          for (const r of rows) {
            const role = r[4] === 'ok' ? 'success' : r[4] === 'mismatch' ? 'error' : 'warn';
            out.info(fmt(r).replace(` ${r[4]!.padEnd(w[4]!)} `, ` ${out.paint(role, r[4]!.padEnd(w[4]!))} `));
          }
          if (result.backups.some((b) => b.origin === 'foreign')) out.info(out.paint('muted', 'foreign: not made by mcpctl (or its .sha256 is gone); restore it with --db <database>'));
          out.info(out.paint('muted', `folder ${result.dir}`));
        }
        if (!result.ok) throw new ExitError(ExitCode.failed);
      }),
    );

  backup
    .command('restore <file>')
    .description('restore a backup in one transaction (checksum checked first)')
    .option('--db <name>', "target database (default: the one in an mcpctl backup's name; needed for any other file)")
    .option('--confirm <name>', 'the target database\'s name: confirms replacing a database that holds tables')
    .addHelpText('after', '\nExamples:\n  $ mcpctl backup restore backups/project_registry_20260126_093015.sql.gz\n  $ mcpctl backup restore backups/x.dump --db scratch_copy\n  $ mcpctl backup restore backups/x.sql.zst --confirm project_registry')
    .action(
      action<RestoreOpts>(makeEnv, async (env, opts, args, cmd) => {
        const { out, globals } = env;
        const dbs = fromParent<string[]>(cmd, 'db');
        if (dbs && dbs.length > 1) throw new UsageError('backup restore takes one --db', { hint: 'restore into one database at a time' });
        const database = dbs?.[0] ?? opts.db;
        const loaded = await loadCommandConfig(env);
        const ctx = await localToolsCtx(env.ctx, loaded.values);
        const { runRestore } = await import('../core/backup-restore.js');
        const { formatMs } = await import('../lib/output.js');
        const result = await runRestore(
          {
            ctx,
            config: loaded,
            yes: globals.yes,
            log: out.debug,
            onPlan: (p) => {
              if (p.checksum === 'missing') out.warn(`${p.file} has no .sha256 beside it; restoring without a checksum check`);
              out.status(`restoring into ${p.database} (${p.mode === 'created' ? 'new database' : p.mode === 'replaced' ? `replacing ${p.tables} tables` : 'empty database'})…`);
            },
          },
          { file: userPath(ctx, args[0]!), database, confirm: opts.confirm },
        );
        if (out.json) out.result(result);
        else {
          const how = { created: 'into a new database', restored: 'into the empty database', replaced: 'replacing the database' }[result.mode];
          out.success(`✓ restored ${result.file} ${how} ${result.database} in ${formatMs(result.durationMs)}`);
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
  const { withLocalTools } = await import('../lib/local-tools.js');
  return { ...ctx, env: await withLocalTools(ctx.env, ctx.home, cfg.POSTGRES_HOST, cfg.POSTGRES_PORT) };
}

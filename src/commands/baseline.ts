import { Option, type Command } from 'commander';
import { ExitCode, ExitError } from '../lib/errors.js';
import { plural, type Output } from '../lib/output.js';
import { action, appendStepSummary, collect, intOption, optionPath, userPath, type EnvFactory } from './shared.js';
import { COMMAND_DESCRIPTIONS } from './catalog.js';

interface GenerateOpts {
  files: number;
  out: string;
  seed?: string;
  force?: boolean;
}

interface CollectOpts {
  name?: string;
  runs: number;
  warmup: number;
  out: string;
  shell?: boolean;
  ignoreFailures?: boolean;
  import?: string;
  timeout?: number;
}

interface CompareOpts {
  baseline: string;
  maxRegression: string;
  metric: 'p50' | 'p95' | 'p99' | 'mean' | 'min' | 'max';
  hybrid?: boolean;
  target?: string[];
  strict?: boolean;
  match: 'exact' | 'last';
  map?: string[];
}

export function registerBaseline(program: Command, makeEnv: EnvFactory): void {
  const baseline = program
    .command('baseline')
    .description(COMMAND_DESCRIPTIONS['baseline']);

  baseline
    .command('generate-repo')
    .description('write a deterministic repository of Python modules (same bytes for the same --files and --seed everywhere)')
    .requiredOption('--files <n>', 'number of .py files, __init__.py included', intOption('--files', 1, 1_000_000))
    .requiredOption('--out <dir>', 'output folder: new, empty, or generated earlier by this command')
    .option('--seed <s>', 'any string; the same seed gives the same repository', '42')
    .option('--force', 'replace a folder this command generated with other arguments, or whose files were changed')
    .addHelpText(
      'after',
      '\nA non-empty folder without the .mcpctl-generated.json marker is never touched (exit 2).\n\nExamples:\n  $ mcpctl baseline generate-repo --files 10000 --out /tmp/repo\n  $ mcpctl baseline generate-repo --files 100 --seed 7 --out fixtures/repo --json',
    )
    .action(
      action<GenerateOpts>(makeEnv, async ({ ctx, out }, opts, _args, cmd) => {
        const { runGenerateRepo } = await import('../core/baseline-generate.js');
        const result = await runGenerateRepo(
          { ctx, onProgress: (done, total) => out.status(`writing files ${done}/${total}`) },
          { files: opts.files, out: optionPath(ctx, cmd, 'out')!, seed: opts.seed, force: opts.force },
        );
        if (out.json) return out.result(result);
        const what = result.action === 'unchanged' ? 'Already generated, nothing written:' : result.action === 'replaced' ? 'Regenerated' : 'Generated';
        out.success(`${what} ${result.files} files (${formatBytes(result.bytes)}, seed ${JSON.stringify(result.seed)}) in ${result.dir} (${formatSeconds(result.ms)})`);
        out.info(`digest sha256:${result.digest}`);
      }),
    );

  baseline
    .command('collect')
    .description('time a command (or import pytest-benchmark JSON) and record the runs and statistics in a baseline file')
    .argument('[command...]', 'the command to time, after --')
    .option('--name <name>', 'benchmark name (default: the command line); an entry of the same name is replaced')
    .option('--runs <n>', 'counted runs', intOption('--runs', 1, 100_000), 10)
    .option('--warmup <n>', 'uncounted runs first', intOption('--warmup', 0, 100_000), 1)
    .option('--out <file>', 'baseline file to write or merge into', 'baseline-results.json')
    .option('--shell', 'run the command through sh -c (pipes, globs, variables)')
    .option('--ignore-failures', 'keep timing runs that exit non-zero (they are counted in failed_runs)')
    .option('--import <file>', 'convert a pytest-benchmark JSON file instead of running a command')
    .option('--timeout <ms>', 'time allowed for each run', intOption('--timeout'))
    .addHelpText(
      'after',
      '\nExamples:\n  $ mcpctl baseline collect --name index-10k -- mcpctl baseline generate-repo --files 10000 --out /tmp/r --force\n  $ mcpctl baseline collect --runs 20 --shell -- "pytest -q tests/perf > /dev/null"\n  $ mcpctl baseline collect --import .benchmarks/Linux-CPython-3.11-64bit/0001_run.json',
    )
    .action(
      action<CollectOpts>(makeEnv, async ({ ctx, out }, opts, args, cmd) => {
        const { runCollect } = await import('../core/baseline-collect.js');
        const { machineInfo } = await import('../lib/machine.js');
        const result = await runCollect(
          {
            ctx,
            machine: machineInfo(),
            log: out.debug,
            onRun: (e) => {
              const line = `${e.phase} ${e.index}/${e.total}: ${e.ms.toFixed(1)} ms${e.exitCode === 0 ? '' : ` (exit ${e.exitCode ?? 'signal'})`}`;
              if (out.progress) out.status(line);
              else out.debug(line);
            },
          },
          {
            command: args,
            name: opts.name,
            runs: opts.runs,
            warmup: opts.warmup,
            out: optionPath(ctx, cmd, 'out'),
            shell: opts.shell,
            ignoreFailures: opts.ignoreFailures,
            importFile: optionPath(ctx, cmd, 'import'),
            timeoutMs: opts.timeout,
          },
        );
        if (out.json) return out.result(result);
        for (const e of result.entries) {
          const s = e.stats;
          out.info(out.paint('strong', e.name));
          const f = (x: number | undefined) => (x === undefined ? 'n/a' : `${x.toFixed(1)} ms`);
          out.info(`  ${s.n} runs${e.failed_runs ? ` (${e.failed_runs} failed)` : ''}: min ${f(s.min)}  mean ${f(s.mean)} ± ${f(s.stddev)}  p50 ${f(s.p50)}  p95 ${f(s.p95)}  p99 ${f(s.p99)}  max ${f(s.max)}`);
        }
        const how = [result.added.length ? `added ${result.added.length}` : '', result.replaced.length ? `replaced ${result.replaced.length}` : ''].filter(Boolean).join(', ');
        out.success(`Wrote ${result.file} (${how})`);
      }),
    );

  baseline
    .command('compare')
    .description('compare results against a baseline; exit 1 on a regression beyond --max-regression')
    .argument('<current>', 'the new results: mcpctl, pytest-benchmark or latency-summary JSON')
    .option('--baseline <file>', 'the reference results', 'baseline-results.json')
    .option('--max-regression <limit>', 'allowed slowdown: a percentage (20%) or a ratio ≥ 1 (1.2)', '20%')
    .addOption(new Option('--metric <name>', 'the figure compared').choices(['p50', 'p95', 'p99', 'mean', 'min', 'max']).default('p95'))
    .option('--hybrid', 'a regression fails only when it also exceeds its target; otherwise it warns')
    .option('--target <name=ms>', 'latency target of a benchmark (repeatable; overrides target_threshold_ms)', collect)
    .option('--strict', 'warnings fail too, and so do benchmarks on one side only')
    .addOption(new Option('--match <rule>', 'how names pair across files: exact, or last (a pytest node id\'s last ::component)').choices(['exact', 'last']).default('exact'))
    .option('--map <name=name>', 'compare the benchmark named on the left (in either file) as the right-hand name (repeatable)', collect)
    .addHelpText(
      'after',
      '\nWhen no benchmark is in both files, compare exits 1: a gate that compared nothing has not passed.\n\nExamples:\n  $ mcpctl baseline compare current.json\n  $ mcpctl baseline compare latency.json --baseline pytest-benchmark.json --match last\n  $ mcpctl baseline compare results.json --baseline main.json --max-regression 10% --metric p50\n  $ mcpctl baseline compare latency.json --hybrid --target search_code=500 --json',
    )
    .action(
      action<CompareOpts>(makeEnv, async (env, opts, args, cmd) => {
        const { ctx, out } = env;
        const { runCompare } = await import('../core/baseline-compare.js');
        const result = await runCompare(
          { ctx },
          {
            current: userPath(ctx, args[0]!),
            baseline: optionPath(ctx, cmd, 'baseline'),
            maxRegression: opts.maxRegression,
            metric: opts.metric,
            hybrid: opts.hybrid,
            targets: opts.target,
            strict: opts.strict,
            match: opts.match,
            maps: opts.map,
          },
        );
        if (out.json) out.result(result);
        else await renderCompare(out, result);
        await appendStepSummary(env, (gh) => compareMarkdown(gh, result));
        if (!result.ok) throw new ExitError(ExitCode.failed);
      }),
    );
}

async function renderCompare(out: Output, r: import('../core/baseline-compare.js').CompareResult): Promise<void> {
  const { fmtMs, trimNum } = await import('../core/baseline-compare.js');
  out.info(out.paint('strong', `${r.metric}: ${r.current.file} (${r.current.format}) against ${r.baseline.file} (${r.baseline.format})`));
  const sign = (x: number) => (x > 0 ? '+' : '') + trimNum(x, 1) + '%';
  const table = r.rows.map((row) => [
    row.name + (row.baseline_name || row.current_name ? ` (${[row.baseline_name, row.current_name].filter(Boolean).join(' / ')})` : ''),
    row.baseline === null ? '—' : fmtMs(row.baseline),
    row.current === null ? '—' : fmtMs(row.current),
    row.change_pct === null ? '—' : sign(row.change_pct),
    `${trimNum(row.allowed_pct)}%`,
    row.status,
    row.significance ? `p=${row.significance.p.toFixed(3)}${row.significance.significant ? '' : ' (n.s.)'}` : '—',
  ]);
  const head = ['benchmark', 'baseline', 'current', 'change', 'allowed', 'status', 'significance'];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
  const role = (s: string) => (s === 'fail' ? 'error' : s === 'warn' ? 'warn' : s === 'pass' ? 'success' : 'muted') as Parameters<Output['paint']>[0];
  const line = (cells: string[], paintStatus: boolean) =>
    cells
      .map((c, i) => {
        const padded = i === 0 || i === 5 || i === 6 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!);
        return paintStatus && i === 5 ? out.paint(role(c), padded) : padded;
      })
      .join('  ')
      .trimEnd();
  out.info(line(head, false));
  for (const t of table) out.info(line(t, true));
  for (const row of r.rows) if (row.status === 'fail' || row.status === 'warn') out.info(`  ${out.paint(role(row.status), row.status)} ${row.name}: ${row.message}`);
  for (const n of r.notes) out.warn(n);
  if (r.common === 0) {
    const names = (xs: string[]) => (xs.length ? xs.slice(0, 8).join(', ') + (xs.length > 8 ? `, … (${xs.length} in all)` : '') : '(none)');
    out.info(out.paint('error', 'no benchmark is in both files: nothing was compared, so the gate fails'));
    out.info(`  baseline ${r.baseline.file}: ${names(r.unmatched.baseline)}`);
    out.info(`  current  ${r.current.file}: ${names(r.unmatched.current)}`);
  }
  const s = r.summary;
  const text = `${s.pass} passed, ${plural(s.warn, 'warning')}, ${s.fail} failed, ${s['baseline-only'] + s['current-only']} on one side only`;
  if (r.ok) out.success(`✓ ${text}`);
  else out.info(out.paint('error', `✗ ${text} (allowed regression ${trimNum(r.max_regression.percent)}% on ${r.metric}${r.hybrid ? ', hybrid' : ''}${r.strict ? ', strict' : ''})`));
}

/** The step summary of compare: the same table as the terminal, and the verdict. */
function compareMarkdown(gh: typeof import('../lib/github-actions.js'), r: import('../core/baseline-compare.js').CompareResult): string {
  const ms = (x: number | null) => (x === null ? '—' : `${Number(x.toFixed(3))} ms`);
  const pct = (x: number | null) => (x === null ? '—' : `${x > 0 ? '+' : ''}${x.toFixed(1)}%`);
  const mark: Record<string, string> = { pass: '✅ pass', warn: '⚠️ warn', fail: '❌ fail' };
  const rows = r.rows.map((row) => [row.name, ms(row.baseline), ms(row.current), pct(row.change_pct), `${row.allowed_pct}%`, mark[row.status] ?? row.status, row.message]);
  const s = r.summary;
  const verdict = r.common === 0
    ? '❌ no benchmark is in both files: nothing was compared'
    : `${r.ok ? '✅' : '❌'} ${s.pass} passed, ${plural(s.warn, 'warning')}, ${s.fail} failed, ${s['baseline-only'] + s['current-only']} on one side only`;
  return `### mcpctl baseline compare (${r.metric})\n\n${r.current.file} against ${r.baseline.file}\n\n${gh.mdTable(['benchmark', 'baseline', 'current', 'change', 'allowed', 'status', 'note'], rows)}\n${verdict}\n\n`;
}

function formatBytes(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`;
}

function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

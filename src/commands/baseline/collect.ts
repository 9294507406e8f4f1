import path from 'node:path';
import { writeFileAtomic } from '../../lib/files/atomic-write.js';
import { asBaselineFile, readJsonFile, type BaselineEntry, type BaselineFile, type MachineInfo } from './formats.js';
import type { CoreDeps, DebugEvent } from '../../lib/cli/core-deps.js';
import { InterruptedError, UsageError, UserError } from '../../lib/cli/errors.js';
import { displayArg, execCapture } from '../../lib/process/exec.js';
import { git } from '../../lib/git/porcelain.js';
import { summarize } from './stats.js';

export const DEFAULT_OUT = 'baseline-results.json';

/** Options of `mcpctl baseline collect`. */
export interface CollectOptions {
  /** The command to time (argv); with `shell`, its words joined by spaces and run by `sh -c`. */
  command?: string[];
  name?: string;
  runs?: number;
  warmup?: number;
  /** Baseline file, relative to ctx.cwd (default baseline-results.json). */
  out?: string;
  shell?: boolean;
  ignoreFailures?: boolean;
  /** A pytest-benchmark JSON file to convert instead of running a command. */
  importFile?: string;
  /** Time allowed for one run (ms); none by default. */
  timeoutMs?: number;
}

/** One finished run, reported as it happens. */
export interface RunEvent {
  type: 'run';
  phase: 'warmup' | 'run';
  /** 1-based. */
  index: number;
  total: number;
  ms: number;
  exitCode: number | undefined;
}

/** What collect tells its adapter: each finished run, and each command it ran (--debug). */
export type CollectEvent = RunEvent | DebugEvent;

export type CollectDeps = Pick<CoreDeps<CollectEvent>, 'events'> & {
  ctx: Pick<CoreDeps['ctx'], 'cwd' | 'env' | 'now' | 'signal'>;
  /** Where the collection runs (injected so the core reads nothing from `process`). */
  machine: MachineInfo;
};

export interface CollectResult {
  ok: true;
  file: string;
  entries: BaselineEntry[];
  /** Names whose earlier entry was replaced. */
  replaced: string[];
  /** Names that were new in the file. */
  added: string[];
}

/** Microsecond precision keeps files short without losing anything a wall clock can tell. */
const round3 = (x: number) => Math.round(x * 1000) / 1000;

export async function runCollect(deps: CollectDeps, options: CollectOptions): Promise<CollectResult> {
  const { ctx } = deps;
  const out = path.resolve(ctx.cwd, options.out ?? DEFAULT_OUT);
  const hasCommand = (options.command?.length ?? 0) > 0;
  if (options.importFile !== undefined && hasCommand) throw new UsageError('give either --import <file> or a command after --, not both');
  if (options.importFile !== undefined && options.name !== undefined) throw new UsageError('--name does not apply to --import (each pytest-benchmark keeps its own name)');
  if (options.importFile === undefined && !hasCommand) {
    throw new UsageError('no command to time', { hint: 'put the command after --, e.g. mcpctl baseline collect -- pytest -q tests/perf' });
  }
  // Validate the existing file before spending minutes on runs.
  const existing = await readExisting(out);

  const entries = options.importFile !== undefined ? await importPytest(path.resolve(ctx.cwd, options.importFile)) : [await collectRuns(deps, options)];

  const file: BaselineFile = existing ?? { format: 'mcpctl-baseline', version: 1, benchmarks: [] };
  const replaced: string[] = [];
  const added: string[] = [];
  for (const e of entries) {
    const i = file.benchmarks.findIndex((b) => b.name === e.name);
    if (i >= 0) {
      file.benchmarks[i] = e;
      replaced.push(e.name);
    } else {
      file.benchmarks.push(e);
      added.push(e.name);
    }
  }
  // Not a secret: readable like any results file.
  await writeFileAtomic(out, JSON.stringify(file, null, 2) + '\n', { mode: 0o644 });
  return { ok: true, file: out, entries, replaced, added };
}

async function readExisting(out: string): Promise<BaselineFile | undefined> {
  let doc: unknown;
  try {
    doc = await readJsonFile(out);
  } catch (e) {
    if (e instanceof UsageError && e.message.endsWith('no such file')) return undefined;
    throw e;
  }
  return asBaselineFile(doc, out);
}

async function collectRuns(deps: CollectDeps, options: CollectOptions): Promise<BaselineEntry> {
  const { ctx } = deps;
  const argv = options.command!;
  const runs = options.runs ?? 10;
  const warmup = options.warmup ?? 1;
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError('--runs must be at least 1');
  if (!Number.isInteger(warmup) || warmup < 0) throw new UsageError('--warmup must be 0 or more');
  const [file, args] = options.shell ? ['sh', ['-c', argv.join(' ')]] : [argv[0]!, argv.slice(1)];
  const commandLine = argv.map(displayArg).join(' ');
  // Load execa before the first timed run so that its import is never measured.
  await import('execa');

  const samples: number[] = [];
  let failed = 0;
  for (let i = 0; i < warmup + runs; i++) {
    const phase = i < warmup ? 'warmup' : 'run';
    const index = phase === 'warmup' ? i + 1 : i - warmup + 1;
    const t0 = performance.now();
    const r = await execCapture(file, args, { cwd: ctx.cwd, env: ctx.env, signal: ctx.signal, timeoutMs: options.timeoutMs, log: (text) => deps.events({ type: 'debug', text }) });
    const ms = performance.now() - t0;
    if (ctx.signal.aborted) throw new InterruptedError('interrupted: nothing was written');
    deps.events({ type: 'run', phase, index, total: phase === 'warmup' ? warmup : runs, ms, exitCode: r.exitCode });
    if (r.notFound) throw new UserError(`${file}: command not found`, { hint: options.shell ? undefined : 'check the command after --, or add --shell for shell syntax' });
    if (r.exitCode !== 0) {
      if (!options.ignoreFailures) {
        const why = r.timedOut ? 'timed out' : r.exitCode === undefined ? `was killed by ${r.signal}` : `exited ${r.exitCode}`;
        const tail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-5).join('\n');
        throw new UserError(`${phase} ${index} of ${phase === 'warmup' ? warmup : runs}: ${commandLine} ${why}; nothing was written${tail ? `\n${tail}` : ''}`, {
          hint: 'fix the command, or add --ignore-failures to time failing runs too',
        });
      }
      if (phase === 'run') failed++;
    }
    if (phase === 'run') samples.push(round3(ms));
  }
  const s = summarize(samples);
  const commit = await git({ cwd: ctx.cwd, env: ctx.env, log: (text) => deps.events({ type: 'debug', text }) }, ['rev-parse', '--verify', '-q', 'HEAD']);
  return {
    name: options.name ?? commandLine,
    source: 'collect',
    command: argv,
    shell: options.shell === true,
    runs,
    warmup,
    failed_runs: failed,
    unit: 'ms',
    samples_ms: samples,
    stats: roundStats(s),
    machine: deps.machine,
    time: ctx.now().toISOString(),
    git_commit: commit.exitCode === 0 ? commit.stdout.trim() : null,
  };
}

function roundStats<T extends object>(s: T): T {
  const o: Record<string, number | undefined> = {};
  for (const [k, v] of Object.entries(s) as [string, number | undefined][]) o[k] = v === undefined || k === 'n' ? v : round3(v);
  return o as T;
}

/** Converts pytest-benchmark JSON (`benchmarks[].stats`, seconds) into baseline entries (ms). */
async function importPytest(file: string): Promise<BaselineEntry[]> {
  const doc = (await readJsonFile(file)) as Record<string, unknown>;
  const { parseBenchFile } = await import('./formats.js');
  const parsed = parseBenchFile(doc, file);
  if (parsed.format !== 'pytest-benchmark') throw new UsageError(`${file}: --import reads pytest-benchmark JSON, and this is ${parsed.format}`);
  const mi = (doc.machine_info ?? {}) as { cpu?: { brand_raw?: string; count?: number }; system?: string; release?: string; machine?: string };
  const machine: BaselineEntry['machine'] = {};
  if (mi.system) machine.os = mi.system.toLowerCase();
  if (mi.release) machine.os_release = mi.release;
  if (mi.machine) machine.arch = mi.machine;
  if (mi.cpu?.brand_raw) machine.cpu_model = mi.cpu.brand_raw;
  if (typeof mi.cpu?.count === 'number') machine.cpu_count = mi.cpu.count;
  const commit = (doc.commit_info as { id?: unknown } | undefined)?.id;
  const time = typeof doc.datetime === 'string' ? doc.datetime : undefined;
  const raw = doc.benchmarks as { stats: Record<string, unknown> }[];
  return parsed.benchmarks.map((b, i) => {
    const st = raw[i]!.stats;
    const samples = (b.samples ?? []).map(round3);
    const stats: BaselineEntry['stats'] = samples.length
      ? summarize(samples)
      : {
          n: typeof st.rounds === 'number' ? st.rounds : 0,
          min: b.metrics.min ?? 0,
          mean: b.metrics.mean ?? 0,
          stddev: typeof st.stddev === 'number' ? st.stddev * 1000 : 0,
          p50: b.metrics.p50 ?? 0,
          max: b.metrics.max ?? 0,
        };
    return {
      name: b.name,
      source: 'pytest-benchmark',
      runs: samples.length || (typeof st.rounds === 'number' ? st.rounds : 0),
      unit: 'ms',
      samples_ms: samples,
      stats: roundStats(stats),
      machine,
      time,
      git_commit: typeof commit === 'string' ? commit : null,
    };
  });
}

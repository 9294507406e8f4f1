// `mcpctl rollback` (pre-flight, plan, stash, save tip, checkout, reset, verify) against the raw
// git commands of emergency_rollback.sh, on a generated repository of 2,000 files and 200 commits.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, fmt, median, printTable } from '../lib.mjs';

export const name = 'rollback';

const FILES = 2000;
const COMMITS = 200;
const TAG_AT = 100;

function makeRepo(dir, env) {
  const git = (...args) => execFileSync('git', args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  const data = (s) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  const file = (i) => `pkg${String(i % 40).padStart(2, '0')}/mod_${String(i).padStart(4, '0')}.py`;
  const chunks = [];
  for (let c = 1; c <= COMMITS; c++) {
    chunks.push(`commit refs/heads/main\nmark :${c}\ncommitter Bench <bench@example.test> ${1767225600 + c * 60} +0000\n${data(`commit ${c}`)}`);
    if (c === 1) for (let i = 0; i < FILES; i++) chunks.push(`M 100644 inline ${file(i)}\n${data(`# module ${i}\nVALUE = ${i}\n`)}`);
    else for (let k = 0; k < 10; k++) chunks.push(`M 100644 inline ${file((c * 37 + k * 11) % FILES)}\n${data(`# module, commit ${c}\nVALUE = ${c * 1000 + k}\n`)}`);
    chunks.push('\n');
  }
  chunks.push(`reset refs/tags/backup-before-refactor\nfrom :${TAG_AT}\n\n`);
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, env, input: chunks.join('') });
  git('reset', '-q', '--hard');
  git('branch', '004-multi-project-refactor');
  return { git, tip: git('rev-parse', 'HEAD').trim(), file };
}

export async function run() {
  const base = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'mcpctl-bench-rb-'));
  const dir = path.join(base, 'repo');
  execFileSync('mkdir', ['-p', dir]);
  const env = {
    PATH: process.env.PATH,
    HOME: base,
    LC_ALL: 'C',
    CI: 'true',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Bench',
    GIT_AUTHOR_EMAIL: 'bench@example.test',
    GIT_COMMITTER_NAME: 'Bench',
    GIT_COMMITTER_EMAIL: 'bench@example.test',
  };
  try {
    const t0 = performance.now();
    const { git, tip, file } = makeRepo(dir, env);
    const buildMs = performance.now() - t0;

    // The same starting point before every timed run: on the refactor branch at the tip,
    // main at the tip, five modified files and three untracked ones; earlier runs' refs removed.
    const reset = () => {
      git('checkout', '-q', '-f', '004-multi-project-refactor');
      git('reset', '-q', '--hard', tip);
      git('clean', '-q', '-f', '-d');
      git('update-ref', 'refs/heads/main', tip);
      git('stash', 'clear');
      for (const ref of git('for-each-ref', '--format=%(refname)', 'refs/heads/mcpctl/').split('\n').filter(Boolean)) git('update-ref', '-d', ref);
      for (let i = 0; i < 5; i++) writeFileSync(path.join(dir, file(i * 101)), `# work in progress ${i}\n`);
      for (let i = 0; i < 3; i++) writeFileSync(path.join(dir, `scratch_${i}.txt`), `notes ${i}\n`);
    };
    // Wall time, and CPU time (user + sys of the command and its children, from /usr/bin/time when
    // present): on a shared, loaded machine the CPU figure is the steadier one.
    const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
    const cpuFile = path.join(base, 'cpu.txt');
    const time = (steps) => {
      reset();
      let wall = 0;
      let cpu = 0;
      for (const [cmd, args] of steps) {
        const start = performance.now();
        const r = timeBin
          ? spawnSync(timeBin, ['-f', '%U %S', '-o', cpuFile, cmd, ...args], { cwd: dir, env, stdio: 'ignore' })
          : spawnSync(cmd, args, { cwd: dir, env, stdio: 'ignore' });
        wall += performance.now() - start;
        if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
        if (timeBin) cpu += readFileSync(cpuFile, 'utf8').trim().split('\n').pop().split(' ').reduce((a, x) => a + Number(x) * 1000, 0);
      }
      return { wall, cpu };
    };
    const cases = [
      { label: 'emergency_rollback.sh git commands (stash, checkout, reset --hard)', steps: [['git', ['stash']], ['git', ['checkout', '-q', 'main']], ['git', ['reset', '-q', '--hard', 'backup-before-refactor']]] },
      { label: 'same with untracked files saved (stash -u, checkout, reset --hard)', steps: [['git', ['stash', 'push', '-q', '--include-untracked']], ['git', ['checkout', '-q', 'main']], ['git', ['reset', '-q', '--hard', 'backup-before-refactor']]] },
      { label: 'mcpctl rollback --dry-run (pre-flight and plan only)', steps: [[process.execPath, [BIN, 'rollback', '--dry-run']]] },
      { label: 'mcpctl rollback --confirm ROLLBACK', steps: [[process.execPath, [BIN, 'rollback', '--confirm', 'ROLLBACK']]] },
      { label: 'node -e 0 (bare Node start-up)', steps: [[process.execPath, ['-e', '0']]] },
    ];
    const runs = 9;
    for (const c of cases) time(c.steps); // warm-up
    const times = cases.map(() => []);
    for (let i = 0; i < runs; i++) cases.forEach((c, k) => times[k].push(time(c.steps)));
    const wall = times.map((xs) => median(xs.map((x) => x.wall)));
    const cpu = times.map((xs) => median(xs.map((x) => x.cpu)));
    const [old, gitOwn, dry, full, node] = wall;
    const beyondGit = full - gitOwn;
    const show = (k) => (timeBin ? `${fmt(wall[k])} wall, ${fmt(cpu[k])} CPU` : fmt(wall[k]));
    const load = os.loadavg()[0].toFixed(1);
    printTable(`rollback on ${FILES} files, ${COMMITS} commits (median of ${runs}; repo built in ${fmt(buildMs)}; load average ${load} on ${os.cpus().length} CPUs)`, [
      [cases[0].label, show(0)],
      [cases[1].label, show(1)],
      [cases[2].label, show(2)],
      [cases[3].label, `${show(3)}  (${(full / gitOwn).toFixed(2)}× git's own wall time; goal ≤ 2.5×)`],
      [cases[4].label, show(4)],
      ["mcpctl beyond git's own time", `${fmt(beyondGit)} wall${timeBin ? `, ${fmt(cpu[3] - cpu[1])} CPU` : ''}  (Node start-up alone: ${fmt(node)}; goal: well under 1 s)`],
    ]);
    return {
      oldScriptMs: old,
      gitOwnMs: gitOwn,
      dryRunMs: dry,
      mcpctlMs: full,
      nodeMs: node,
      beyondGitMs: beyondGit,
      ratio: full / gitOwn,
      ...(timeBin ? { cpuMs: { oldScript: cpu[0], gitOwn: cpu[1], dryRun: cpu[2], mcpctl: cpu[3], node: cpu[4], beyondGit: cpu[3] - cpu[1] } } : {}),
      loadAverage: Number(load),
    };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

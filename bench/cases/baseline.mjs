// `mcpctl baseline generate-repo --files 10000` against the old way, a Python generator writing the same
// kind of repository (bench/generate_test_repo.py). Goal: ≤ 1× the Python time. Each run writes into a
// fresh folder (both refuse, or skip, a folder that already holds a repository); runs are interleaved.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, ROOT, fmt, median, printTable, timeOnce } from '../lib.mjs';

export const name = 'baseline';

export async function run({ files = 10_000, runs = 5 } = {}) {
  const base = mkdtempSync(path.join(os.tmpdir(), 'mcpctl-bench-genrepo-'));
  const py = path.join(ROOT, 'bench', 'generate_test_repo.py');
  const times = { python: [], mcpctl: [] };
  try {
    // One untimed run each: page cache, Python's bytecode cache, Node's compile cache.
    for (let i = -1; i < runs; i++) {
      const p = path.join(base, `py-${i}`);
      const m = path.join(base, `mcpctl-${i}`);
      const tp = timeOnce('python3', [py, '--files', String(files), '--out', p, '--seed', '42']);
      const tm = timeOnce(process.execPath, [BIN, 'baseline', 'generate-repo', '--files', String(files), '--out', m, '--seed', '42']);
      rmSync(p, { recursive: true, force: true });
      rmSync(m, { recursive: true, force: true });
      if (i >= 0) {
        times.python.push(tp);
        times.mcpctl.push(tm);
      }
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  const python = median(times.python);
  const mcpctl = median(times.mcpctl);
  printTable(`generate-repo --files ${files} (median of ${runs})`, [
    ['python3 bench/generate_test_repo.py', fmt(python)],
    ['mcpctl baseline generate-repo', `${fmt(mcpctl)}  (${(mcpctl / python).toFixed(2)}× Python; goal ≤ 1×)`],
  ]);
  return { files, pythonMs: python, mcpctlMs: mcpctl, ratio: mcpctl / python };
}

// `mcpctl db start` on a fresh HOME (initdb included) against bench/db-start.sh doing the same by
// hand (initdb --no-sync + pg_ctl start), interleaved run by run; then `db start` on a running
// cluster (against mcpctl's own start-up), and `setup-db --local` on a warm cluster (no change).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, ROOT, fmt, median, printTable, timeOnce } from '../lib.mjs';

export const name = 'db';

const scratchRoot = () => {
  const d = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'mcpctl-bench-db-'));
  chmodSync(d, 0o755);
  return d;
};

function stopAll(dataDir, bin) {
  const as = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', path.join(bin, 'pg_ctl')]] : [path.join(bin, 'pg_ctl'), []];
  try {
    execFileSync(as[0], [...as[1], '-D', dataDir, '-m', 'immediate', '-w', 'stop'], { stdio: 'ignore' });
  } catch {
    // not running
  }
}

export async function run() {
  const { findServerBinaries } = await import(path.join(ROOT, 'dist/lib/pg-bin.js'));
  const { freePort } = await import(path.join(ROOT, 'dist/lib/pg-server.js'));
  const bin = (await findServerBinaries({ env: process.env })).dir;
  const runs = 5;
  const t = { mcpctl: [], shell: [], again: [], local: [], bare: [], version: [] };
  const root = scratchRoot();
  try {
    for (let i = 0; i < runs + 1; i++) {
      // mcpctl db start, fresh HOME
      const home = path.join(root, `home${i}`);
      mkdirSync(home, { mode: 0o755 });
      chmodSync(home, 0o755);
      const env = { PATH: process.env.PATH, HOME: home, CI: 'true' };
      const port = String(await freePort());
      const a = timeOnce(process.execPath, [BIN, 'db', 'start', '--port', port], { env, cwd: home });
      const again = timeOnce(process.execPath, [BIN, 'db', 'start'], { env, cwd: home });
      // setup-db --local: first run creates, the timed second run is the warm no-change case.
      const proj = path.join(home, 'proj');
      mkdirSync(proj);
      timeOnce(process.execPath, [BIN, 'setup-db', '--local'], { env, cwd: proj });
      const local = timeOnce(process.execPath, [BIN, 'setup-db', '--local'], { env, cwd: proj });
      stopAll(path.join(home, '.local/share/mcpctl/postgres/data'), bin);
      // the same by hand
      const base = path.join(root, `sh${i}`);
      mkdirSync(base, { mode: 0o755 });
      const s = timeOnce('bash', [path.join(ROOT, 'bench', 'db-start.sh'), base, String(await freePort()), bin]);
      stopAll(path.join(base, 'data'), bin);
      const bare = timeOnce(process.execPath, ['-e', '0']);
      const version = timeOnce(process.execPath, [BIN, '--help']);
      if (i > 0) {
        t.mcpctl.push(a);
        t.shell.push(s);
        t.again.push(again);
        t.local.push(local);
        t.bare.push(bare);
        t.version.push(version);
      }
      rmSync(home, { recursive: true, force: true });
      rmSync(base, { recursive: true, force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const m = (xs) => median(xs);
  const ratio = m(t.mcpctl) / m(t.shell);
  printTable(`db (median of ${runs}; binaries ${bin})`, [
    ['mcpctl db start, fresh HOME (initdb + start)', fmt(m(t.mcpctl))],
    ['bench/db-start.sh (initdb --no-sync + pg_ctl start)', fmt(m(t.shell))],
    ['ratio (goal ≤ 1.2×)', `${ratio.toFixed(2)}×`],
    ['mcpctl db start, already running', fmt(m(t.again))],
    ['mcpctl --help (mcpctl start-up; goal: already running < start-up + 100 ms)', fmt(m(t.version))],
    ['node -e 0 (bare start-up)', fmt(m(t.bare))],
    ['mcpctl setup-db --local, warm, no change (goal < 1 s)', fmt(m(t.local))],
  ]);
  return { dbStartMs: m(t.mcpctl), shellMs: m(t.shell), ratio, alreadyRunningMs: m(t.again), versionMs: m(t.version), bareNodeMs: m(t.bare), setupDbLocalWarmMs: m(t.local) };
}

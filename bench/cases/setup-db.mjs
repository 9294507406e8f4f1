// `mcpctl setup-db` on a fresh server state (new role and databases), then the no-change
// re-run, against bench/setup-db.sh doing the same steps with psql (the old flow without its
// defects). Each run gets its own role, databases, project folder and password file.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, ROOT, fmt, median, printTable, timeOnce, withCluster } from '../lib.mjs';

export const name = 'setup-db';

export async function run() {
  return withCluster(async (info) => {
    const runs = 7;
    const t = { mcpctl: { fresh: [], rerun: [] }, bash: { fresh: [], rerun: [] } };
    // Bare Node start-up, measured alongside: on a loaded machine it says how much of the time is the host's.
    const bare = [];
    const tools = {
      mcpctl: (opts) => [process.execPath, [BIN, 'setup-db'], opts],
      bash: (opts) => ['bash', [path.join(ROOT, 'bench', 'setup-db.sh')], opts],
    };
    const made = [];
    try {
      for (let i = 0; i < runs + 1; i++) {
        for (const tool of Object.keys(tools)) {
          const id = `b${i}_${tool}_${process.pid}`;
          const dir = mkdtempSync(path.join(os.tmpdir(), 'mcpctl-bench-sdb-'));
          made.push(dir);
          const env = {
            PATH: process.env.PATH,
            HOME: dir,
            CI: 'true',
            PGPASSFILE: path.join(dir, 'pgpass'),
            POSTGRES_HOST: info.host,
            POSTGRES_PORT: String(info.port),
            POSTGRES_SSLMODE: 'disable',
            POSTGRES_USER: `${id}_u`,
            POSTGRES_DB: `${id}_db`,
            POSTGRES_TEST_DB: `${id}_t`,
            SETUP_POSTGRES_USER: info.superuser,
            SETUP_POSTGRES_PASSWORD: info.password,
          };
          const [cmd, args, opts] = tools[tool]({ env, cwd: dir });
          const fresh = timeOnce(cmd, args, opts);
          const rerun = timeOnce(cmd, args, opts);
          // The first round warms caches and is not counted.
          if (i > 0) {
            t[tool].fresh.push(fresh);
            t[tool].rerun.push(rerun);
            if (tool === 'mcpctl') bare.push(timeOnce(process.execPath, ['-e', '0']));
          }
        }
      }
    } finally {
      for (const d of made) rmSync(d, { recursive: true, force: true });
    }
    const m = (xs) => median(xs);
    const freshRatio = m(t.mcpctl.fresh) / m(t.bash.fresh);
    const rerunRatio = m(t.mcpctl.rerun) / m(t.bash.rerun);
    printTable(`setup-db (median of ${runs}, fresh role and databases each run)`, [
      ['mcpctl setup-db, fresh', fmt(m(t.mcpctl.fresh))],
      ['bench/setup-db.sh, fresh', fmt(m(t.bash.fresh))],
      ['ratio fresh (mcpctl ÷ bash)', `${freshRatio.toFixed(2)}×`],
      ['mcpctl setup-db, no-change re-run', `${fmt(m(t.mcpctl.rerun))}  (goal < 500 ms)`],
      ['bench/setup-db.sh, no-change re-run', fmt(m(t.bash.rerun))],
      ['ratio re-run (mcpctl ÷ bash)', `${rerunRatio.toFixed(2)}×`],
      ['node -e 0 (host start-up, for scale)', fmt(m(bare))],
    ]);
    return { freshMs: m(t.mcpctl.fresh), bashFreshMs: m(t.bash.fresh), freshRatio, rerunMs: m(t.mcpctl.rerun), bashRerunMs: m(t.bash.rerun), rerunRatio, nodeStartMs: m(bare) };
  });
}

// `mcpctl serve -- node -e "console.log('ready')"` against bare `node -e …`: the time until the
// child's first line on stdout, with the database up. mcpctl's cost is config, one login, a spawn.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { BIN, fmt, median, printTable, spawn, withCluster } from '../lib.mjs';

export const name = 'serve';

/** Milliseconds from spawn to the first stdout line; waits for the process to end. */
function firstLine(cmd, args, opts) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let t;
    const p = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'inherit'] });
    p.stdout.on('data', (d) => {
      if (t === undefined && String(d).includes('\n')) t = performance.now() - t0;
    });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 && t !== undefined ? resolve(t) : reject(new Error(`${args.join(' ')} exited ${code}`))));
  });
}

export async function run() {
  return withCluster(async (info) => {
    const user = 'bench_serve';
    const password = randomBytes(18).toString('base64url');
    const admin = new pg.Client({ host: info.host, port: info.port, user: info.superuser, password: info.password, database: 'postgres' });
    await admin.connect();
    await admin.query(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`);
    await admin.query(`CREATE DATABASE ${user} OWNER ${user}`);
    await admin.end();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mcpctl-bench-serve-'));
    const env = {
      PATH: process.env.PATH,
      HOME: dir,
      CI: 'true',
      POSTGRES_HOST: info.host,
      POSTGRES_PORT: String(info.port),
      POSTGRES_USER: user,
      POSTGRES_DB: user,
      POSTGRES_PASSWORD: password,
      POSTGRES_SSLMODE: 'disable',
    };
    const child = ['-e', "console.log('ready')"];
    const cases = [
      { label: `node -e "console.log('ready')"`, cmd: process.execPath, args: child },
      { label: 'mcpctl serve -- node -e …', cmd: process.execPath, args: [BIN, 'serve', '--', process.execPath, ...child] },
    ];
    const runs = 15;
    const times = cases.map(() => []);
    try {
      for (let i = 0; i < runs + 2; i++) {
        for (const [k, c] of cases.entries()) {
          const ms = await firstLine(c.cmd, c.args, { cwd: dir, env });
          if (i >= 2) times[k].push(ms);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const [bare, serve] = times.map(median);
    const overhead = serve - bare;
    printTable(`serve: spawn to the child's first line (median of ${runs}, database up)`, [
      [cases[0].label, fmt(bare)],
      [cases[1].label, fmt(serve)],
      ['overhead of mcpctl serve', `${fmt(overhead)}  (${(serve / bare).toFixed(2)}× the bare child; goal ≤ 4×)`],
    ]);
    return { bareMs: bare, serveMs: serve, overheadMs: overhead, ratio: serve / bare };
  });
}

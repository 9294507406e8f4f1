// `mcpctl backup` (gzip and zstd) against the shell pipeline `pg_dump | gzip -1 > f`, the old
// `pg_dump > f.sql && gzip f.sql`, and pg_dump alone, on a generated database of about
// MCPCTL_BENCH_BACKUP_MB megabytes (default 500); and the peak RSS of the mcpctl process.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { BIN, ROOT, compareMedians, fmt, printTable, withCluster } from '../lib.mjs';

export const name = 'backup';

const MB = Number(process.env.MCPCTL_BENCH_BACKUP_MB ?? 500);
const RUNS = Number(process.env.MCPCTL_BENCH_BACKUP_RUNS ?? 3);
const WARMUP = Number(process.env.MCPCTL_BENCH_BACKUP_WARMUP ?? 1);

export async function run() {
  return withCluster(async (info) => {
    const role = 'bench_app';
    const db = 'bench_backup';
    const password = randomBytes(18).toString('base64url');
    const admin = new pg.Client({ host: info.host, port: info.port, user: info.superuser, password: info.password, database: 'postgres' });
    await admin.connect();
    await admin.query(`CREATE ROLE ${role} LOGIN CREATEDB PASSWORD '${password}'`);
    await admin.query(`CREATE DATABASE ${db} OWNER ${role}`);
    await admin.end();
    const app = new pg.Client({ host: info.host, port: info.port, user: role, password, database: db });
    await app.connect();
    // ≈ 130 bytes per row on disk; a mix of repetitive and random text that compresses
    // about like application data (3–5×), not a constant and not pure noise.
    const rows = Math.round((MB * 1024 * 1024) / 130);
    const t0 = performance.now();
    await app.query(`CREATE TABLE events AS
      SELECT g AS id, (ARRAY['created','updated','deleted','viewed','shared','commented'])[1 + g % 6] AS kind,
             'user ' || (g % 5003) || ' touched item ' || (g % 100003) || ' in project ' || (g % 97) AS message,
             substr(md5(g::text), 1, 16) AS token,
             timestamptz '2026-01-01' - g * interval '1 second' AS at, (g % 100000) / 7.0 AS amount
        FROM generate_series(1, ${rows}) g`);
    const size = Number((await app.query(`SELECT pg_database_size('${db}') AS s`)).rows[0].s);
    await app.end();
    console.log(`\ngenerated ${rows} rows, database ${(size / 1048576).toFixed(0)} MiB in ${fmt(performance.now() - t0)} (cluster data in ${info.dataDir})`);

    const out = mkdtempSync(path.join(os.tmpdir(), 'mcpctl-bench-backup-'));
    const libpq = { ...process.env, PGHOST: info.host, PGPORT: String(info.port), PGUSER: role, PGPASSWORD: password, PGDATABASE: db };
    const appEnv = { ...process.env, CI: 'true', POSTGRES_HOST: info.host, POSTGRES_PORT: String(info.port), POSTGRES_USER: role, POSTGRES_PASSWORD: password, POSTGRES_DB: db, POSTGRES_SSLMODE: 'disable' };
    const sh = (label, script) => ({ label, cmd: 'sh', args: ['-c', script], opts: { env: libpq, cwd: out } });
    const mcpctl = (label, compress, extra = []) => ({ label, cmd: process.execPath, args: [BIN, '-C', out, 'backup', '--dir', compress, '--compress', compress, '--keep', '1', ...extra], opts: { env: appEnv } });
    try {
      const results = compareMedians(
        [
          sh('pg_dump > f.sql (alone)', 'pg_dump --no-owner --no-acl -f alone.sql'),
          sh('pg_dump | gzip -1 > f', 'set -e; pg_dump --no-owner --no-acl | gzip -1 > pipe.sql.gz'),
          // What zstd itself costs beside pg_dump on this machine now: the floor for mcpctl's zstd path.
          sh('pg_dump | zstd -1 > f', 'set -e; pg_dump --no-owner --no-acl | zstd -q -1 > pipe.sql.zst'),
          sh('old: pg_dump > f.sql && gzip f.sql', 'pg_dump --no-owner --no-acl > old.sql && gzip -f old.sql'),
          mcpctl('mcpctl backup (gzip)', 'gzip'),
          // The gzip program instead of node:zlib: the core's option (no CLI flag), run like the CLI.
          { label: 'mcpctl backup, gzip program', cmd: process.execPath, args: [path.join(ROOT, 'bench', 'backup-core.mjs'), out, 'gzip', 'gzip'], opts: { env: appEnv } },
          mcpctl('mcpctl backup --compress zstd', 'zstd'),
        ],
        { runs: RUNS, warmup: WARMUP },
      );
      const by = Object.fromEntries(results.map((r) => [r.label, r.median]));
      const alone = by['pg_dump > f.sql (alone)'];
      const pipe = by['pg_dump | gzip -1 > f'];
      const zpipe = by['pg_dump | zstd -1 > f'];
      const old = by['old: pg_dump > f.sql && gzip f.sql'];
      const gz = by['mcpctl backup (gzip)'];
      const zst = by['mcpctl backup --compress zstd'];
      const proc = by['mcpctl backup, gzip program'];
      const fileSize = (d, re) => readdirSync(path.join(out, d)).filter((f) => re.test(f)).map((f) => statSync(path.join(out, d, f)).size)[0];
      const rssGzip = await peakRss([BIN, '-C', out, 'backup', '--dir', 'gzip', '--keep', '1'], appEnv);
      const rssZstd = await peakRss([BIN, '-C', out, 'backup', '--dir', 'zstd', '--compress', 'zstd', '--keep', '1'], appEnv);
      const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;
      printTable(`backup of a ${(size / 1048576).toFixed(0)} MiB database (median of ${RUNS}; throughput = 1 / time)`, [
        ['pg_dump alone', `${fmt(alone)}  (${mib(statSync(path.join(out, 'alone.sql')).size)} of SQL)`],
        ['pg_dump | gzip -1 > f', `${fmt(pipe)}  (${mib(statSync(path.join(out, 'pipe.sql.gz')).size)})`],
        ['old: pg_dump > f.sql && gzip f.sql', `${fmt(old)}  (${mib(statSync(path.join(out, 'old.sql.gz')).size)})`],
        ['mcpctl backup (gzip: node:zlib level 1)', `${fmt(gz)}  ${(pipe / gz).toFixed(2)}× the pipeline's throughput (goal ≥ 0.9), ${(old / gz).toFixed(2)}× the old way  (${mib(fileSize('gzip', /\.sql\.gz$/))})`],
        ['mcpctl backup, gzip -1 program (core option)', `${fmt(proc)}  ${(pipe / proc).toFixed(2)}× the pipeline's throughput`],
        ['pg_dump | zstd -1 > f', `${fmt(zpipe)}  ${(alone / zpipe).toFixed(2)}× pg_dump alone  (${mib(statSync(path.join(out, 'pipe.sql.zst')).size)})`],
        ['mcpctl backup --compress zstd', `${fmt(zst)}  ${(alone / zst).toFixed(2)}× pg_dump alone (goal ≥ 0.8), ${(zpipe / zst).toFixed(2)}× the zstd pipeline  (${mib(fileSize('zstd', /\.sql\.zst$/))})`],
        ['peak RSS of mcpctl (gzip / zstd)', `${mib(rssGzip)} / ${mib(rssZstd)}  (goal < 150 MiB)`],
      ]);
      const restore = restoreCase(out, libpq, appEnv);
      return {
        restore,
        databaseMiB: Math.round(size / 1048576),
        gzipVsPipeline: pipe / gz,
        gzipProcessVsPipeline: pipe / proc,
        gzipVsOld: old / gz,
        zstdVsPgDumpAlone: alone / zst,
        zstdVsPipeline: zpipe / zst,
        peakRssMiB: Math.max(rssGzip, rssZstd) / 1048576,
        ms: { alone, pipe, zstdPipe: zpipe, old, gzip: gz, gzipProcess: proc, zstd: zst },
      };
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}

/**
 * `mcpctl backup restore` (guard scanning every line, BEGIN/COMMIT of its own, a scratch
 * database renamed into place) against `gunzip -c f | psql --single-transaction` into a
 * new database, both from mcpctl's gzip backup of the same database, in one run.
 */
function restoreCase(out, libpq, appEnv) {
  const file = readdirSync(path.join(out, 'gzip')).filter((f) => /\.sql\.gz$/.test(f)).map((f) => path.join(out, 'gzip', f))[0];
  const results = compareMedians(
    [
      { label: 'gunzip -c f | psql --single-transaction', cmd: 'sh', args: ['-c', `set -e; dropdb --if-exists bench_r_psql; createdb bench_r_psql; gunzip -c '${file}' | psql -X -q -v ON_ERROR_STOP=1 --single-transaction -o /dev/null -d bench_r_psql`], opts: { env: libpq } },
      { label: 'mcpctl backup restore', cmd: 'sh', args: ['-c', `set -e; dropdb --if-exists bench_r_mcpctl; '${process.execPath}' '${BIN}' -C '${out}' backup restore '${file}' --db bench_r_mcpctl`], opts: { env: { ...appEnv, PGHOST: libpq.PGHOST, PGPORT: libpq.PGPORT, PGUSER: libpq.PGUSER, PGPASSWORD: libpq.PGPASSWORD, PGDATABASE: libpq.PGDATABASE } } },
    ],
    { runs: RUNS, warmup: WARMUP },
  );
  const [psql, mine] = results.map((r) => r.median);
  printTable(`restore of that backup into a new database (median of ${RUNS})`, [
    ['gunzip -c f | psql --single-transaction', fmt(psql)],
    ['mcpctl backup restore', `${fmt(mine)}  ${(mine / psql).toFixed(2)}× the psql pipeline's time (goal ≤ 1.1)`],
  ]);
  return { timeVsPsqlPipeline: mine / psql, ms: { psql, mcpctl: mine } };
}

/** Peak resident set (VmHWM) of the mcpctl process itself, polled from /proc while it runs. */
function peakRss(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: 'ignore' });
    let peak = 0;
    const poll = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) * 1024);
      } catch {
        // exited between polls
      }
    };
    const timer = setInterval(poll, 50);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code !== 0) reject(new Error(`mcpctl backup exited ${code}`));
      else resolve(peak);
    });
  });
}

// Shared helpers for `npm run bench`: timing child processes, medians, a throwaway cluster.
import { spawnSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, mkdirSync, rmSync, chmodSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = process.env.MCPCTL_BENCH_BIN ?? path.join(ROOT, 'bin', 'mcpctl.js');

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs a command once, synchronously; returns wall milliseconds (throws on failure unless allowFail). */
export function timeOnce(cmd, args, opts = {}) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: opts.stdio ?? 'ignore', env: opts.env ?? process.env, cwd: opts.cwd, input: opts.input });
  const ms = performance.now() - t0;
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr ?? ''}`);
  return ms;
}

/** Median wall time over `runs` (after `warmup`) runs. */
export function timeMedian(cmd, args, { runs = 15, warmup = 2, ...opts } = {}) {
  for (let i = 0; i < warmup; i++) timeOnce(cmd, args, opts);
  const xs = [];
  for (let i = 0; i < runs; i++) xs.push(timeOnce(cmd, args, opts));
  return median(xs);
}

/** Interleaves candidates run by run, so machine noise hits all of them alike. */
export function compareMedians(cases, { runs = 15, warmup = 2 } = {}) {
  for (let i = 0; i < warmup; i++) for (const c of cases) timeOnce(c.cmd, c.args, c.opts);
  const times = cases.map(() => []);
  for (let i = 0; i < runs; i++) cases.forEach((c, k) => times[k].push(timeOnce(c.cmd, c.args, c.opts)));
  return cases.map((c, k) => ({ label: c.label, median: median(times[k]) }));
}

/**
 * A throwaway scram-sha-256 cluster for a benchmark, made with the product's own server steps
 * (dist/commands/db/server.js): initdb, settings, pg_ctl start; as root the server runs as postgres.
 */
export async function withCluster(fn, settings = {}) {
  const srv = await import(path.join(ROOT, 'dist/commands/db/server.js'));
  const { findServerBinaries } = await import(path.join(ROOT, 'dist/lib/local-pg/binaries.js'));
  const root = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const base = mkdtempSync(path.join(root, 'mcpctl-bench-'));
  chmodSync(base, 0o755);
  const password = randomBytes(18).toString('base64url');
  const tools = { binDir: (await findServerBinaries({ env: process.env })).dir, runAs: await srv.serverUser(process.getuid?.()), env: process.env };
  const dataDir = path.join(base, 'data');
  const socketDir = path.join(base, 'sock');
  const logFile = path.join(base, 'server.log');
  mkdirSync(socketDir);
  writeFileSync(logFile, '');
  await srv.giveToServer(tools, socketDir);
  await srv.giveToServer(tools, logFile);
  const port = await srv.freePort();
  try {
    await srv.initdb(tools, { dataDir, superuser: 'postgres', password });
    await srv.writeServerSettings(tools, dataDir, 'bench.conf', { port, listen_addresses: '127.0.0.1', unix_socket_directories: socketDir, fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: 100, shared_buffers: '32MB', ...settings });
    await srv.pgCtlStart(tools, dataDir, logFile);
    return await fn({ dataDir, socketDir, logFile, host: '127.0.0.1', port, superuser: 'postgres', superuserPassword: password, password });
  } finally {
    await srv.pgCtlStop(tools, dataDir, 'fast').catch(() => srv.pgCtlStop(tools, dataDir, 'immediate').catch(() => undefined));
    rmSync(base, { recursive: true, force: true });
  }
}

export function fmt(ms) {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

export function printTable(title, rows) {
  console.log(`\n## ${title}`);
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
}

export { spawn };

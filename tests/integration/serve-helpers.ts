// Shared by the serve tests: an app role on a cluster, and mcpctl serve as a live process.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { adminClient, harness, uniqueName } from '../helpers/pg.js';
import { BIN, REPO_ROOT } from '../helpers/project.js';

export const CHILD = path.join(REPO_ROOT, 'tests', 'fixtures', 'serve-child.mjs');
export const NODE = process.execPath;

type Info = { host: string; port: number; superuser: string; superuserPassword: string };

/** A unique app role with a password and its own database; `drop()` removes both. */
export async function appRole(info: Info = harness()) {
  const user = uniqueName('serve_u');
  const db = uniqueName('serve_db');
  const password = randomBytes(18).toString('base64url');
  const c = await adminClient('postgres', info as ReturnType<typeof harness>);
  try {
    await c.query(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`);
    await c.query(`CREATE DATABASE ${db} OWNER ${user}`);
  } finally {
    await c.end();
  }
  return {
    user,
    db,
    password,
    env: { POSTGRES_HOST: info.host, POSTGRES_PORT: String(info.port), POSTGRES_SSLMODE: 'disable', POSTGRES_USER: user, POSTGRES_DB: db, POSTGRES_PASSWORD: password },
    drop: async () => {
      const a = await adminClient('postgres', info as ReturnType<typeof harness>).catch(() => undefined);
      if (!a) return;
      try {
        await a.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
        await a.query(`DROP ROLE IF EXISTS ${user}`);
      } finally {
        await a.end();
      }
    },
  };
}

/** `mcpctl serve …` running as a real process, its output collected as it comes. */
export interface ServeProcess {
  proc: ChildProcess;
  out: { stdout: string; stderr: string };
  /** Resolves with the first match of `re` in the stream, or rejects after `ms`. */
  waitFor(stream: 'stdout' | 'stderr', re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnServe(args: string[], opts: { cwd: string; env: Record<string, string> }): ServeProcess {
  const proc = spawn(NODE, [BIN, 'serve', ...args], { cwd: opts.cwd, env: { CI: 'true', ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  const waiters: (() => void)[] = [];
  const poke = () => waiters.splice(0).forEach((w) => w());
  proc.stdout!.on('data', (d) => ((out.stdout += String(d)), poke()));
  proc.stderr!.on('data', (d) => ((out.stderr += String(d)), poke()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => (poke(), resolve({ code, signal }))));
  const waitFor = (stream: 'stdout' | 'stderr', re: RegExp, ms = 20_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} on ${stream}; stdout: ${out.stdout}\nstderr: ${out.stderr}`)), ms);
      const check = () => {
        const m = out[stream].match(re);
        if (m) {
          clearTimeout(timer);
          resolve(m);
        } else if (proc.exitCode !== null || proc.signalCode !== null) {
          clearTimeout(timer);
          reject(new Error(`mcpctl exited (${proc.exitCode ?? proc.signalCode}) before ${re}; stdout: ${out.stdout}\nstderr: ${out.stderr}`));
        } else waiters.push(check);
      };
      check();
    });
  return { proc, out, waitFor, exited };
}

/** True while `pid` exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Pids of every live (non-zombie) process in group `pgid`, from /proc as `ps -g` would list them. */
export function groupMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') pids.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export async function getHealth(url: string): Promise<{ status: number; body: Record<string, any> }> {
  const r = await fetch(url);
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

/** Waits up to 5 s for every pid to be gone; true when they are. */
export async function allGone(...pids: number[]): Promise<boolean> {
  for (let i = 0; i < 200 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 25));
  return !pids.some(alive);
}

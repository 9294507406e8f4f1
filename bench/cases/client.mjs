// `mcpctl client add` (the no-change re-add, and a first add into an existing file with other
// servers) against bare `node -e 0`. Goal: < 150 ms wall time.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, compareMedians, fmt, printTable, timeOnce } from '../lib.mjs';

export const name = 'client';

const OTHERS = JSON.stringify({ mcpServers: { memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] } } }, null, 2);

export async function run() {
  const node = process.execPath;
  const root = mkdtempSync(path.join(os.tmpdir(), 'mcpctl-bench-client-'));
  try {
    const proj = path.join(root, 'proj');
    mkdirSync(proj);
    const env = { PATH: process.env.PATH, HOME: root, CI: 'true' };
    timeOnce(node, [BIN, 'client', 'add', 'claude-code'], { cwd: proj, env });
    // A fresh add each run: the file is put back before every measured command.
    const fresh = { cmd: node, args: [BIN, 'client', 'add', 'cursor'], opts: { cwd: proj, env } };
    const [bare, again] = compareMedians(
      [
        { label: 'node -e 0', cmd: node, args: ['-e', '0'] },
        { label: 'mcpctl client add claude-code (no change)', cmd: node, args: [BIN, 'client', 'add', 'claude-code'], opts: { cwd: proj, env } },
      ],
      { runs: 15, warmup: 2 },
    );
    const adds = [];
    for (let i = 0; i < 12; i++) {
      mkdirSync(path.join(proj, '.cursor'), { recursive: true });
      writeFileSync(path.join(proj, '.cursor', 'mcp.json'), OTHERS);
      adds.push(timeOnce(fresh.cmd, fresh.args, fresh.opts));
    }
    adds.sort((a, b) => a - b);
    const add = (adds[5] + adds[6]) / 2;
    printTable('client add (median)', [
      [bare.label, fmt(bare.median)],
      [again.label, `${fmt(again.median)}  (goal < 150 ms)`],
      ['mcpctl client add cursor (into a file with another server)', `${fmt(add)}  (goal < 150 ms)`],
    ]);
    return { nodeMs: bare.median, readdMs: again.median, addMs: add };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

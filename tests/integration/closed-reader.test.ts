// The reader of mcpctl's output going away (`mcpctl … | head`) must stop a run the way Ctrl-C
// does — its clean-up still runs — instead of ending the process on the spot (process.exit skipped
// finally blocks: scratch databases and temporary files stayed behind).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/project.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mcpctl-closed-reader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a closed reader (EPIPE)', () => {
  it('aborts the run, whose finally block still runs; exit 130', async () => {
    const marker = path.join(dir, 'cleaned');
    const io = pathToFileURL(path.join(REPO_ROOT, 'dist', 'process-io.js')).href;
    // A run that writes until it is stopped, then cleans up (as backup's scratch database does).
    const script = `
      import { writeFileSync } from 'node:fs';
      const { guardStreams, runWithProcess } = await import(${JSON.stringify(io)});
      guardStreams();
      await runWithProcess([], async (io) => {
        try {
          while (!io.signal.aborted) {
            io.stdout.write('line\\n');
            await new Promise((r) => setImmediate(r));
          }
          return 130;
        } finally {
          writeFileSync(${JSON.stringify(marker)}, String(io.signal.reason?.message));
        }
      });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    // The observed event: the first output arrived; then the reader goes away.
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    child.stdout!.destroy();
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(130);
    expect(existsSync(marker)).toBe(true);
    expect(readFileSync(marker, 'utf8')).toBe('SIGPIPE');
  }, 30_000);

  it('a second signal during a clean-up that hangs ends the process by that signal at once; one signal lets the clean-up finish', async () => {
    const io = pathToFileURL(path.join(REPO_ROOT, 'dist', 'process-io.js')).href;
    const script = (hang: boolean) => `
      const { runWithProcess } = await import(${JSON.stringify(io)});
      await runWithProcess([], async (io) => {
        process.stdout.write('ready\\n');
        const alive = setInterval(() => {}, 1000);
        await new Promise((r) => io.signal.addEventListener('abort', r));
        process.stdout.write('cleaning\\n');
        // A clean-up that never ends (a server that does not answer), or one that does.
        if (!${hang}) await new Promise((r) => setTimeout(r, 200));
        else await new Promise(() => {});
        clearInterval(alive);
        return 130;
      });`;
    const run = async (hang: boolean, signals: NodeJS.Signals[]) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script(hang)], { stdio: ['ignore', 'pipe', 'inherit'] });
      const done = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
      let seen = '';
      // Each signal on an observed event: the run started, then its clean-up started.
      child.stdout!.on('data', (b: Buffer) => {
        seen += b.toString();
        if (seen === 'ready\n') child.kill(signals[0]);
        if (seen === 'ready\ncleaning\n' && signals[1]) child.kill(signals[1]);
      });
      return done;
    };
    expect(await run(true, ['SIGINT', 'SIGTERM'])).toEqual([null, 'SIGTERM']);
    expect(await run(true, ['SIGHUP', 'SIGINT'])).toEqual([null, 'SIGINT']);
    expect(await run(false, ['SIGTERM'])).toEqual([130, null]);
  }, 30_000);
});

// execCapture(): the one wrapper for commands run to completion, on real child processes.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { execCapture } from '../../src/lib/process/exec.js';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const node = (code: string, extra: Partial<Parameters<typeof execCapture>[2]> = {}) => execCapture(process.execPath, ['-e', code], { cwd: '/', env, ...extra });

describe('execCapture', () => {
  it('captures stdout and stderr apart, strips one final newline, and reports the exit code', async () => {
    const r = await node('process.stdout.write("out\\n\\n"); process.stderr.write("err\\r\\n"); process.exitCode = 3');
    expect(r).toEqual({ exitCode: 3, signal: undefined, stdout: 'out\n', stderr: 'err', failed: true, timedOut: false, notFound: false });
    const kept = await node('process.stdout.write("a\\n")', { stripFinalNewline: false });
    expect(kept).toMatchObject({ exitCode: 0, stdout: 'a\n', failed: false });
  });

  it('passes input on stdin, and stdin is closed without it', async () => {
    expect((await node('process.stdin.pipe(process.stdout)', { input: 'héllo' })).stdout).toBe('héllo');
    expect(await node('process.stdin.on("data", () => {}).on("end", () => console.log("eof"))')).toMatchObject({ exitCode: 0, stdout: 'eof' });
  });

  it('gives the child exactly the environment it was given, and runs it in cwd', async () => {
    const r = await execCapture(process.execPath, ['-e', 'console.log(JSON.stringify([process.cwd(), Object.keys(process.env).sort()]))'], { cwd: '/tmp', env: { ...env, ONLY_THIS: 'x', UNSET: undefined } });
    expect(JSON.parse(r.stdout)).toEqual(['/tmp', ['ONLY_THIS', 'PATH']]);
  });

  it('keeps every byte of long or binary output (latin1: one character per byte)', async () => {
    const big = await node('process.stdout.write("é".repeat(300000))');
    expect(big.stdout).toBe('é'.repeat(300000));
    const bin = await node('process.stdout.write(Buffer.from([0, 255, 10, 128]))', { encoding: 'latin1', stripFinalNewline: false });
    expect([...bin.stdout].map((c) => c.charCodeAt(0))).toEqual([0, 255, 10, 128]);
  });

  it('reports a missing program as notFound, and throws (redacted) with reject', async () => {
    expect(await execCapture('mcpctl-no-such-program', [], { cwd: '/', env })).toMatchObject({ notFound: true, failed: true, exitCode: undefined });
    await expect(execCapture('mcpctl-no-such-program', [], { cwd: '/', env, reject: true })).rejects.toThrow('mcpctl-no-such-program not found');
    await expect(node('console.error("bad thing"); process.exit(4)', { reject: true })).rejects.toThrow('exited 4: bad thing');
  });

  it('a program that cannot start, or arguments Node refuses, give a failed result, not an exception', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpctl-exec-'));
    const file = path.join(dir, 'not-executable');
    await fs.writeFile(file, '#!/bin/sh\n', { mode: 0o644 });
    try {
      expect(await execCapture(file, [], { cwd: '/', env })).toMatchObject({ failed: true, notFound: false, exitCode: undefined, stderr: expect.stringContaining('EACCES') });
      await expect(execCapture(file, [], { cwd: '/', env, reject: true })).rejects.toThrow(`${file} could not start`);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
    expect(await execCapture(process.execPath, ['-e', '0\u0000'], { cwd: '/', env })).toMatchObject({ failed: true, exitCode: undefined });
  });

  it('ends a command that outlives its timeout with SIGTERM, and one whose signal aborts', async () => {
    const t0 = Date.now();
    const slow = await node('setTimeout(() => {}, 60000)', { timeoutMs: 200 });
    expect(slow).toMatchObject({ timedOut: true, failed: true, signal: 'SIGTERM', exitCode: undefined });
    expect(Date.now() - t0).toBeLessThan(10_000);
    const controller = new AbortController();
    const pending = node('console.log("started"); setTimeout(() => {}, 60000)', { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    expect(await pending).toMatchObject({ failed: true, signal: 'SIGTERM', timedOut: false });
    expect(await node('0', { signal: controller.signal })).toMatchObject({ failed: true, exitCode: undefined });
  });

  it('kills with SIGKILL a command that ignores SIGTERM', async () => {
    // An ignored signal stays ignored across exec: the shell is gone before the timeout can fire.
    const r = await execCapture('/bin/sh', ['-c', 'trap "" TERM; exec sleep 60'], { cwd: '/', env, timeoutMs: 1000 });
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
  }, 15_000);
});

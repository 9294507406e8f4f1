import { describe, expect, it } from 'vitest';
import { requestedCommand } from '../../src/commands/catalog.js';
import { runMain } from '../helpers/project.js';

describe('requestedCommand', () => {
  it('finds the command after global options and their values', () => {
    expect(requestedCommand(['verify-env'])).toBe('verify-env');
    expect(requestedCommand(['-C', 'setup-db', '--json', 'verify-db', '--only', 'auth'])).toBe('verify-db');
    expect(requestedCommand(['--cwd', 'x', 'backup', 'list'])).toBe('backup');
    expect(requestedCommand(['--cwd=x', 'serve', '--', 'python'])).toBe('serve');
    expect(requestedCommand(['help', 'rollback'])).toBe('rollback');
    expect(requestedCommand(['--help'])).toBeUndefined();
    expect(requestedCommand(['--', 'serve'])).toBeUndefined();
  });

  it('lists every command in --help without loading them, and loads the one asked for', async () => {
    const top = await runMain(['--help'], { cwd: '/', env: {} });
    for (const name of ['setup-db', 'verify-db', 'verify-env', 'backup', 'rollback', 'baseline', 'serve']) expect(top.stdout).toContain(name);
    const one = await runMain(['help', 'verify-db'], { cwd: '/', env: {} });
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('--pool-size');
  });

  it('help <cmd>, <cmd> help and --help are the same page; an unknown name exits 2 with a suggestion', async () => {
    const run = (argv: string[]) => runMain(argv, { cwd: '/', env: {} });
    for (const [cmd, sub] of [['backup', 'restore'], ['rollback', 'prepare'], ['baseline', 'compare']] as const) {
      const flag = await run([cmd, '--help']);
      for (const argv of [['help', cmd], [cmd, 'help']]) expect(await run(argv)).toEqual(flag);
      const subFlag = await run([cmd, sub, '--help']);
      expect(subFlag.stdout).toContain(`Usage: mcpctl ${cmd} ${sub}`);
      for (const argv of [['help', cmd, sub], [cmd, 'help', sub]]) expect(await run(argv)).toEqual(subFlag);
      expect(flag.stdout).toMatch(/help \[command\]/);
    }
    const typo = await run(['help', 'bakup']);
    expect(typo).toMatchObject({ code: 2, stdout: '' });
    expect(typo.stderr).toMatch(/unknown command 'bakup'\n.*did you mean 'backup'\?/);
    const none = await run(['help', 'nonexist']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/`mcpctl --help` lists them/);
    const sub = await run(['backup', 'help', 'lst']);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toMatch(/unknown backup command 'lst'\n.*did you mean 'list'\?/);
    expect((await run(['help'])).code).toBe(0);
  });

  it('top-level help has three examples and the global options; command help points there instead of repeating them', async () => {
    const top = await runMain(['--help'], { cwd: '/', env: {} });
    expect(top.stdout.match(/^ {2}\$ /gm)).toHaveLength(3);
    expect(top.stdout).toContain('--no-color');
    for (const argv of [['verify-env', '--help'], ['backup', 'list', '--help'], ['rollback', 'prepare', '--help'], ['serve', '--help']]) {
      const r = await runMain(argv, { cwd: '/', env: {} });
      expect(r.stdout).not.toMatch(/^ +--no-color/m);
      expect(r.stdout).not.toMatch(/Global Options:/);
      expect(r.stdout).toContain('see `mcpctl --help`');
    }
  });

  it('an open-ended number option says "at least", not the largest safe integer', async () => {
    const r = await runMain(['backup', '--keep', '0'], { cwd: '/', env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--keep must be at least 1');
    expect(r.stderr).not.toContain('9007199254740991');
    const huge = await runMain(['backup', '--keep', '99999999999999999999'], { cwd: '/', env: {} });
    expect(huge.code).toBe(2);
    expect(huge.stderr).toContain('--keep 99999999999999999999 is too large');
  });
});

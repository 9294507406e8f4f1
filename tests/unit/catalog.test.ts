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
});

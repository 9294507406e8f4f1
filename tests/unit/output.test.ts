import { describe, expect, it } from 'vitest';
import { colorEnabled, createOutput, formatBytes, formatMs, renderReport } from '../../src/lib/output.js';
import { clearSecrets, registerSecret } from '../../src/lib/redact.js';
import { makeReport, runCheck, selectChecks, type Check } from '../../src/lib/report.js';
import { Collect } from '../helpers/project.js';

const tty = { write: () => true, isTTY: true };
const pipe = { write: () => true, isTTY: false };

describe('colour rules', () => {
  it('follows --no-color, NO_COLOR, FORCE_COLOR and the TTY', () => {
    expect(colorEnabled({ noColorFlag: false, env: {} }, tty)).toBe(true);
    expect(colorEnabled({ noColorFlag: false, env: {} }, pipe)).toBe(false);
    expect(colorEnabled({ noColorFlag: true, env: { FORCE_COLOR: '1' } }, tty)).toBe(false);
    expect(colorEnabled({ noColorFlag: false, env: { NO_COLOR: '1' } }, tty)).toBe(false);
    expect(colorEnabled({ noColorFlag: false, env: { FORCE_COLOR: '1' } }, pipe)).toBe(true);
    expect(colorEnabled({ noColorFlag: false, env: { FORCE_COLOR: '0' } }, pipe)).toBe(false);
    // FORCE_COLOR=0 turns colour off even on a terminal (as Node's own util.inspect and chalk read it).
    expect(colorEnabled({ noColorFlag: false, env: { FORCE_COLOR: '0' } }, tty)).toBe(false);
    expect(colorEnabled({ noColorFlag: false, env: { FORCE_COLOR: 'false' } }, tty)).toBe(false);
  });
});

function make(json: boolean, env: Record<string, string> = {}) {
  const stdout = new Collect();
  const stderr = new Collect();
  const out = createOutput({ json, noColorFlag: false, debug: true, env, stdout, stderr, ci: true });
  return { out, stdout, stderr };
}

describe('createOutput', () => {
  it('keeps stdout for the one JSON document in --json mode', () => {
    const { out, stdout, stderr } = make(true);
    out.info('human');
    out.warn('careful');
    out.result({ ok: true });
    expect(JSON.parse(stdout.text)).toEqual({ ok: true });
    expect(stderr.text).toContain('human');
    expect(stderr.text).toContain('warning: careful');
  });

  it('redacts every string it writes', () => {
    registerSecret('TopSecretPassword123');
    const { out, stdout, stderr } = make(false);
    out.info('pw TopSecretPassword123');
    out.error('failed TopSecretPassword123', 'hint TopSecretPassword123');
    out.debug('cmd TopSecretPassword123');
    out.result({ p: 'TopSecretPassword123' });
    expect(stdout.text + stderr.text).not.toContain('TopSecretPassword123');
    clearSecrets();
  });

  it('paints by role only with colour on', () => {
    const { out } = make(false, { FORCE_COLOR: '1' });
    expect(out.paint('error', 'x')).not.toBe('x');
    const plain = make(false).out;
    expect(plain.paint('error', 'x')).toBe('x');
  });
});

describe('reports', () => {
  const checks: Check[] = [
    { name: 'a', status: 'pass', ms: 3, message: 'fine' },
    { name: 'bb', status: 'warn', ms: 1500, message: 'hmm', hint: 'do this' },
    { name: 'c', status: 'fail', ms: 1, message: 'broken', hint: 'fix that' },
    { name: 'd', status: 'skip', ms: 0, message: 'not run' },
  ];

  it('renders a checklist with hints for warnings and failures', () => {
    const { out, stdout } = make(false);
    renderReport(out, makeReport(checks), 'title');
    expect(stdout.text).toMatch(/\[✓\] a +fine \(3 ms\)/);
    expect(stdout.text).toMatch(/\[!\] bb +hmm \(1\.5 s\)/);
    expect(stdout.text).toContain('→ do this');
    expect(stdout.text).toMatch(/\[✗\] c +broken/);
    expect(stdout.text).toContain('[-] d');
    expect(stdout.text).toContain('1 passed, 1 warning, 1 failed, 1 skipped');
  });

  it('is ok without failures, and not ok with warnings when strict', () => {
    expect(makeReport(checks).ok).toBe(false);
    expect(makeReport(checks.slice(0, 2)).ok).toBe(true);
    expect(makeReport(checks.slice(0, 2), true).ok).toBe(false);
  });

  it('times a check and turns an exception into a failure with its hint', async () => {
    const c = await runCheck('x', () => {
      throw Object.assign(new Error('boom'), { hint: 'h' });
    });
    expect(c).toMatchObject({ name: 'x', status: 'fail', message: 'boom', hint: 'h' });
  });

  it('selects checks with --only and --skip, and names unknown ones', () => {
    const all = ['a', 'b', 'c'];
    expect([...selectChecks(all, 'a,c', undefined).selected]).toEqual(['a', 'c']);
    expect([...selectChecks(all, undefined, 'b').selected]).toEqual(['a', 'c']);
    expect(selectChecks(all, 'a,zz', 'yy').unknown).toEqual(['zz', 'yy']);
  });

  it('formats sizes and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatMs(12.4)).toBe('12 ms');
    expect(formatMs(2500)).toBe('2.5 s');
  });
});

/**
 * GitHub Actions without a runner: the files a step writes ($GITHUB_STEP_SUMMARY) read back by
 * readers that follow GitHub's documented rules, and ::add-mask:: before any other output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMarkdownTables } from '../helpers/github-files.js';
import { runMain, tempProject, type TempProject } from '../helpers/project.js';

const PASSWORD = 'Gh4ctions-secret-value-0123456789';
let p: TempProject;
beforeAll(async () => {
  p = await tempProject({ '.env': 'POSTGRES_HOST=127.0.0.1\nPOSTGRES_PORT=1\n', '.env.local': `POSTGRES_PASSWORD=${PASSWORD}\n` });
});
afterAll(async () => {
  await p.cleanup();
});

describe('GitHub Actions', () => {
  it('GITHUB_ACTIONS=true: the password is masked before anything else is printed; --json keeps stdout one document', async () => {
    const env = { ...p.env, GITHUB_ACTIONS: 'true' };
    const human = await runMain(['verify-env', '--timeout', '3000'], { cwd: p.dir, env });
    expect(human.stdout.split('\n')[0]).toBe(`::add-mask::${PASSWORD}`);
    expect(human.stdout.split('\n').slice(1).join('\n') + human.stderr).not.toContain(PASSWORD);
    const json = await runMain(['verify-env', '--json', '--timeout', '3000'], { cwd: p.dir, env });
    expect(() => JSON.parse(json.stdout)).not.toThrow();
    expect(json.stderr.split('\n')).toContain(`::add-mask::${PASSWORD}`);
    expect(json.stdout).not.toContain('::add-mask::');
    // Outside Actions nothing is printed for it.
    const plain = await runMain(['verify-env', '--timeout', '3000'], { cwd: p.dir, env: { ...p.env, GITHUB_ACTIONS: 'false' } });
    expect(plain.stdout + plain.stderr).not.toContain('::add-mask::');
  });

  it('verify-env and baseline compare append Markdown tables to $GITHUB_STEP_SUMMARY (appending, never replacing)', async () => {
    const summary = await p.write('summary.md', '# earlier step\n\n');
    const env = { ...p.env, GITHUB_STEP_SUMMARY: summary };
    const r = await runMain(['verify-env', '--json', '--timeout', '3000'], { cwd: p.dir, env });
    const checks = (JSON.parse(r.stdout) as { checks: { name: string; status: string }[] }).checks;
    await p.write('base.json', JSON.stringify({ search_p95: 100, index_p95: 1000 }));
    await p.write('cur.json', JSON.stringify({ search_p95: 130, index_p95: 900 }));
    const c = await runMain(['baseline', 'compare', 'cur.json', '--baseline', 'base.json'], { cwd: p.dir, env });
    expect(c.code).toBe(1);
    await p.write('other.json', JSON.stringify({ other_p95: 1 }));
    expect((await runMain(['baseline', 'compare', 'other.json', '--baseline', 'base.json'], { cwd: p.dir, env })).code).toBe(1);

    const md = await p.read('summary.md');
    expect(md.startsWith('# earlier step\n')).toBe(true);
    expect(md).not.toContain(PASSWORD);
    const [env1, cmp, vacuous] = parseMarkdownTables(md);
    expect(md).toContain('### mcpctl verify-env');
    expect(env1!.head).toEqual(['check', 'status', 'message', 'hint', 'time']);
    expect(env1!.rows.map((row) => row[0])).toEqual(checks.map((x) => x.name));
    expect(env1!.rows.map((row) => row[1]!.split(' ').at(-1))).toEqual(checks.map((x) => x.status));
    expect(cmp!.head).toEqual(['benchmark', 'baseline', 'current', 'change', 'allowed', 'status', 'note']);
    expect(cmp!.rows).toEqual([
      ['search', '100 ms', '130 ms', '+30.0%', '20%', '❌ fail', 'regression: 30% slower (allowed 20%)'],
      ['index', '1000 ms', '900 ms', '-10.0%', '20%', '✅ pass', 'faster'],
    ]);
    expect(vacuous!.rows.every((row) => /only/.test(row[5]! + row[6]!))).toBe(true);
    expect(md).toContain('❌ no benchmark is in both files: nothing was compared');
  });

  it('doctor appends its report to $GITHUB_STEP_SUMMARY: every check, in order, with its status', async () => {
    const summary = await p.write('doctor-summary.md', '');
    const r = await runMain(['doctor', '--json', '--no-start', '--timeout', '3000'], { cwd: p.dir, env: { ...p.env, GITHUB_STEP_SUMMARY: summary } });
    const checks = (JSON.parse(r.stdout) as { checks: { name: string; status: string }[] }).checks;
    const md = await p.read('doctor-summary.md');
    expect(md.startsWith('### mcpctl doctor\n')).toBe(true);
    expect(md).not.toContain(PASSWORD);
    const [table] = parseMarkdownTables(md);
    expect(table!.rows.map((row) => [row[0], row[1]!.split(' ').at(-1)])).toEqual(checks.map((x) => [x.name, x.status]));
    expect(md).toMatch(/❌ \d+ passed, .* failed/);
  });

  it('a summary file that cannot be written is a warning, not a failure of the check', async () => {
    const env = { ...p.env, GITHUB_STEP_SUMMARY: `${p.dir}/no/such/dir/summary.md` };
    await p.write('a.json', JSON.stringify({ x_p95: 1 }));
    const r = await runMain(['baseline', 'compare', 'a.json', '--baseline', 'a.json'], { cwd: p.dir, env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/could not append to GITHUB_STEP_SUMMARY .*ENOENT/);
  });
});

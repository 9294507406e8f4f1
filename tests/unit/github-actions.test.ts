import { describe, expect, it } from 'vitest';
import { escapeCommandData, formatEnvFile, maskCommand, mdTable, reportMarkdown } from '../../src/lib/github-actions.js';
import { Prng } from '../../src/lib/prng.js';
import { parseGitHubEnvFile, parseMarkdownTables } from '../helpers/github-files.js';

describe('GitHub Actions files', () => {
  it('$GITHUB_ENV: seeded random values (line breaks, =, <<, delimiter look-alikes) read back exactly by the documented rules', () => {
    const prng = new Prng('github-env');
    const rand = () => prng.next();
    const alphabet = ['a', 'Z', '0', '=', '<<', '\n', '\r\n', ' ', '%', '"', "'", '$', '\\', 'é', 'ghadelimiter_x', 'EOF'];
    for (let n = 0; n < 500; n++) {
      const entries = Array.from({ length: 1 + (rand() % 4) }, (_, k) => ({
        key: `KEY_${n}_${k}`,
        value: Array.from({ length: rand() % 12 }, () => alphabet[rand() % alphabet.length]).join(''),
      }));
      // A delimiter generator that first offers a line of the value: the writer must refuse it.
      let calls = 0;
      const text = formatEnvFile(entries, () => (calls++ === 0 ? 'EOF' : `ghadelimiter_${n}_${calls}`));
      const read = parseGitHubEnvFile(text);
      for (const e of entries) expect(read.get(e.key), JSON.stringify(e.value)).toBe(e.value.replace(/\r\n/g, '\n'));
      expect(text.endsWith('\n')).toBe(true);
    }
  });

  it('$GITHUB_ENV: a plain value is one NAME=value line; a multi-line one uses NAME<<DELIMITER', () => {
    expect(formatEnvFile([{ key: 'POSTGRES_PASSWORD', value: 'a=b<<c' }])).toBe('POSTGRES_PASSWORD=a=b<<c\n');
    expect(formatEnvFile([{ key: 'X', value: 'one\ntwo' }], () => 'D')).toBe('X<<D\none\ntwo\nD\n');
    expect(() => formatEnvFile([{ key: 'BAD NAME', value: 'x' }])).toThrow(/not an environment variable name/);
  });

  it('::add-mask:: escapes %, CR and LF as the runner expects', () => {
    expect(escapeCommandData('a%b\r\nc')).toBe('a%25b%0D%0Ac');
    expect(maskCommand('s3cret')).toBe('::add-mask::s3cret\n');
  });

  it('step summary tables parse back with their cells, pipes and line breaks intact', () => {
    const md = mdTable(['a', 'b'], [['x | y', 'line1\nline2'], ['back\\slash', '']]);
    const [t] = parseMarkdownTables(md);
    expect(t!.head).toEqual(['a', 'b']);
    expect(t!.rows).toEqual([
      ['x | y', 'line1<br>line2'],
      ['back\\slash', ''],
    ]);
    const report = reportMarkdown('mcpctl verify-env', {
      ok: false,
      checks: [
        { name: 'node', status: 'pass', ms: 3, message: 'node 20' },
        { name: 'env-file', status: 'fail', ms: 1, message: '.env not found', hint: 'mcpctl init' },
      ],
    });
    const [r] = parseMarkdownTables(report);
    expect(r!.head).toEqual(['check', 'status', 'message', 'hint', 'time']);
    expect(r!.rows.map((x) => [x[0], x[1]])).toEqual([
      ['node', '✅ pass'],
      ['env-file', '❌ fail'],
    ]);
    expect(report).toMatch(/❌ 1 passed, 0 warnings, 1 failed, 0 skipped/);
  });
});

import { describe, expect, it } from 'vitest';
import { planRepo, renderFile } from '../../src/commands/baseline/pyrepo.js';
import { comparePaths, TreeHasher } from '../../src/commands/baseline/tree-digest.js';

describe('planRepo / renderFile', () => {
  it('plans exactly n distinct .py files with an __init__.py in every package', () => {
    for (const n of [1, 2, 3, 4, 29, 100, 1000]) {
      const plan = planRepo(n, 's');
      expect(plan.files).toHaveLength(n);
      const paths = new Set(plan.files.map((f) => f.path));
      expect(paths.size).toBe(n);
      for (const d of plan.dirs) expect(paths.has(`${d}/__init__.py`)).toBe(true);
      for (const f of plan.files) expect(f.path).toMatch(/^[a-z_0-9/]+\.py$/);
    }
    expect(() => planRepo(0, 's')).toThrow(RangeError);
  });

  it('has sub-packages, classes, functions, docstrings and imports only from earlier modules', () => {
    const plan = planRepo(300, '7');
    expect(plan.dirs.length).toBeGreaterThan(5);
    expect(Math.max(...plan.dirs.map((d) => d.split('/').length))).toBeGreaterThanOrEqual(3);
    const index = new Map(plan.files.map((f) => [f.dotted, f.index]));
    let imports = 0;
    const bodies = new Set<string>();
    for (const f of plan.files) {
      const text = renderFile(plan, f);
      expect(text.startsWith('"""')).toBe(true);
      bodies.add(text);
      if (f.kind === 'package') continue;
      expect(text).toMatch(/^class \w+/m);
      expect(text).toMatch(/^(async )?def \w+\(/m);
      for (const m of text.matchAll(/^from ([\w.]+) import (\w+)$/gm)) {
        const j = index.get(m[1]!);
        if (j === undefined) continue; // the standard library
        imports++;
        expect(j).toBeLessThan(f.index);
        const sym = plan.symbols[j]!;
        expect([...sym.classes, ...sym.functions]).toContain(m[2]);
      }
    }
    expect(imports).toBeGreaterThan(100);
    expect(bodies.size).toBe(plan.files.length); // no two files alike
  });

  it('depends on the seed', () => {
    const a = planRepo(50, 'a');
    const b = planRepo(50, 'b');
    expect(a.files.map((f) => renderFile(a, f))).not.toEqual(b.files.map((f) => renderFile(b, f)));
    const again = planRepo(50, 'a');
    expect(again.files.map((f) => renderFile(again, f))).toEqual(a.files.map((f) => renderFile(a, f)));
  });
});

describe('TreeHasher', () => {
  it('hashes path NUL size NUL content in byte order, and refuses unsorted input', async () => {
    const { createHash } = await import('node:crypto');
    const h = new TreeHasher();
    h.add('a/b.py', 'x');
    h.add('a/c.py', Buffer.from('yz'));
    const expected = createHash('sha256').update('a/b.py\x001\x00xa/c.py\x002\x00yz').digest('hex');
    expect(h.hex()).toBe(expected);
    const bad = new TreeHasher();
    bad.add('b', '');
    expect(() => bad.add('a', '')).toThrow(/out of order/);
    expect(comparePaths('a/b', 'a_b')).toBeLessThan(0); // '/' (0x2f) sorts before '_' (0x5f)
  });
});

describe('comparePaths', () => {
  it('orders by UTF-8 bytes, also outside the BMP', async () => {
    const { comparePaths } = await import('../../src/commands/baseline/tree-digest.js');
    // U+FF5E (EF BD 9E) sorts before U+1F600 (F0 9F 98 80) in UTF-8, after it in UTF-16 code units.
    expect(comparePaths('\uFF5E', '\u{1F600}')).toBeLessThan(0);
    expect(comparePaths('\u{1F600}', '\uFF5E')).toBeGreaterThan(0);
    expect(comparePaths('b', 'a')).toBeGreaterThan(0);
    expect(comparePaths('a', 'a')).toBe(0);
  });
});

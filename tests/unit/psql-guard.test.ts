import { describe, expect, it } from 'vitest';
import { PsqlScriptGuard } from '../../src/commands/backup/psql-guard.js';
import { UnsafeScriptError } from '../../src/commands/backup/psql-lexicon.js';
import { Prng } from '../../src/commands/baseline/prng.js';

/** Runs text through the guard in chunks of the given sizes; returns what passed or the error. */
function scan(text: string | Buffer, chunk = 1 << 20): { out: string; error?: UnsafeScriptError } {
  const g = new PsqlScriptGuard();
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const parts: Buffer[] = [];
  try {
    for (let i = 0; i < buf.length; i += chunk) parts.push(g.push(buf.subarray(i, i + chunk)));
    parts.push(g.end());
    return { out: Buffer.concat(parts).toString() };
  } catch (e) {
    if (!(e instanceof UnsafeScriptError)) throw e;
    return { out: Buffer.concat(parts).toString(), error: e };
  }
}

const DUMP = `--
-- PostgreSQL database dump
--

\\restrict abcDEF123

SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE FUNCTION public.f(a integer) RETURNS integer
    LANGUAGE plpgsql
    AS $_$ BEGIN RAISE NOTICE 'x\\y'; RETURN $1; END $_$;
CREATE FUNCTION public.g() RETURNS integer
    LANGUAGE sql
    BEGIN ATOMIC
 SELECT CASE WHEN true THEN 1 ELSE 2 END AS "case";
 SELECT 2;
END;
CREATE TABLE public.t (
    id integer DEFAULT 0 NOT NULL,
    body text DEFAULT '\\n'::text,
    "Odd ""name""" text
);
COMMENT ON TABLE public.t IS 'it''s /* not */ a -- comment';
COPY public.t (id, body, "Odd ""name""") FROM stdin;
1\t\\N\t\\! not a command, data
2\tline with ' quote\t\\.x
\\.
CREATE VIEW public.v AS SELECT (ARRAY[1,2])[1:2] AS s, 'a'::text AS c;
\\unrestrict abcDEF123
`;

describe('psql guard', () => {
  it("passes pg_dump's output unchanged, in any chunking, dropping only \\restrict lines", () => {
    const expected = DUMP.replace(/^\\(un)?restrict .*$/gm, '');
    for (const size of [1, 2, 3, 7, 64, 1 << 20]) {
      const r = scan(DUMP, size);
      expect(r.error, `chunk ${size}`).toBeUndefined();
      expect(r.out).toBe(expected);
    }
  });

  const refused: [string, RegExp][] = [
    ['CREATE TABLE t(x int);\n\\! id > /tmp/PWNED\n', /line 2 holds the psql command \\!/],
    ['SELECT 1; \\connect postgres\n', /line 1 holds the psql command \\connect/],
    ["\\copy t from program 'id'\n", /\\copy/],
    ['SELECT 1 \\g /tmp/x\n', /\\g/],
    ['SELECT 1\\;SELECT 2;\n', /line 1/],
    ['COMMIT;\nDROP DATABASE victim;\n', /line 1 starts a COMMIT/],
    ['select 1; end;\n', /END/],
    ['/* x */ RollBack;\n', /ROLLBACK/],
    ['COPY t FROM stdin WITH (FORMAT csv);\n1\n\\.\n', /COPY statement not in pg_dump/],
    ['SELECT 1;COPY t FROM stdin;\n\\! id\n\\.\n', /COPY/],
    ['SELECT 1\nCOPY t FROM stdin;\n\\! id\n\\.\n', /line 2 starts COPY inside an unfinished statement/],
    ["SELECT 'a\\' ' \\! id ';\n", /backslash before a quote/],
    ["SELECT E'it\\'s';\n", /backslash before a quote/],
    ['SELECT :DBNAME;\n', /:DBNAME/],
    ["SELECT :'x';\n", /variable/],
    ['SELECT 1$a$ \\! id $a$;\n', /number run into/],
    ['COPY t (a) FROM stdin;\n1\n', /inside COPY data/],
    ["SELECT 'open\n", /inside a quoted string/],
    ['SELECT $x$ open\n', /inside a quoted string/],
    ['SELECT (1;\n', /middle of a statement/],
    ['CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1;\n', /middle of a statement/],
    ['SELECT 1\n', /middle of a statement/],
    ['CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1;\nCOPY t FROM stdin;\n\\! id\n\\.\nEND;\n', /COPY inside an unfinished statement/],
    ['SELECT 1;\0\n', /NUL/],
  ];
  for (const [text, why] of refused) {
    it(`refuses ${JSON.stringify(text.slice(0, 40))}`, () => {
      for (const size of [1, 5, 1 << 20]) {
        const r = scan(text, size);
        expect(r.error?.message, `chunk ${size}`).toMatch(why);
        // Nothing from the refused line on was passed on.
        expect(r.out).not.toMatch(/\\!|\\connect|\\copy|\\g|DROP DATABASE/);
      }
    });
  }

  it('keeps backslashes inside quotes, dollar quotes, identifiers and comments', () => {
    const ok = [
      "SELECT '\\d', 'a\\\\', $$ \\! $$, $t$ \\q $t$, \"x\\y\", 1 -- \\! id\n;\n",
      'SELECT 1 /* outer /* \\! */ still \\q */;\n',
      "SELECT 'a'\n'b';\n",
      'SELECT x::text, a[1:2] FROM t;\n',
    ];
    for (const text of ok) expect(scan(text).error, text).toBeUndefined();
  });

  it('names the right line after COPY blocks (seeded random data never escapes a block)', () => {
    const prng = new Prng('psql-guard');
    const rnd = () => prng.next() / 2 ** 32;
    for (let round = 0; round < 50; round++) {
      const rows = Array.from({ length: 1 + Math.floor(rnd() * 20) }, () =>
        Array.from({ length: Math.floor(rnd() * 30) }, () => "ab'\"$\\;\t-/*:x\\."[Math.floor(rnd() * 16)]).join(''),
      ).filter((r) => r !== '\\.');
      const text = `COPY public.t (a) FROM stdin;\n${rows.join('\n')}\n\\.\nSELECT 1;\n\\! id\n`;
      const r = scan(text, 1 + Math.floor(rnd() * 9));
      expect(r.error?.message).toContain(`line ${rows.length + 4} holds the psql command \\!`);
    }
  });
});

describe('review A1: prefixes psql does not lex as identifiers', () => {
  const tail = 'COPY t FROM stdin;\n1\n\\.\n';
  it.each(["E''", "e'a'", 'U&"x"', "U&'x'", 'U&', "x'00'", "X''", "N'x'", "n''", "b'01'", "B''", ':x', ':x1', ':_y'])(
    'CREATE %s FUNCTION f() BEGIN; keeps the statement open as psql does, so the next COPY line is refused',
    (p) => {
      const r = scan(`CREATE ${p} FUNCTION f() BEGIN;\n${tail}`);
      expect(r.error?.message).toMatch(/line 2 starts COPY inside an unfinished statement/);
      expect(r.out).toBe('');
    },
  );
  it('the same prefixes before CREATE: psql still sees CREATE FUNCTION first', () => {
    for (const p of ["E''", 'U&"x"', "N'x'", ':x']) expect(scan(`${p} CREATE FUNCTION f() BEGIN;\n${tail}`).error?.message).toMatch(/line 2 starts COPY/);
  });
  it('a BEGIN the exact heuristic does not count, in CREATE … FUNCTION, is refused (fail closed)', () => {
    expect(scan('CREATE x FUNCTION f() BEGIN;\n').error?.message).toMatch(/line 1 has BEGIN in a CREATE … FUNCTION statement/);
    expect(scan('CREATE ne FUNCTION f() BEGIN;\n').error?.message).toMatch(/has BEGIN/);
  });
  it('pg_dump forms stay accepted: BEGIN ATOMIC bodies, e/x/n/u as names, array slices, casts', () => {
    const ok = [
      'CREATE OR REPLACE FUNCTION public.g() RETURNS integer LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\n',
      'CREATE TABLE public.e (e integer, x integer, n text, u text);\n',
      "SELECT e.x, u & 1, x'0f'::bit(8), E'\\\\n', N'x', U&'d\\0061t' FROM public.e;\n",
      'CREATE VIEW public.v AS SELECT (a)[1:2] AS s, (a)[lo:hi] AS t FROM public.arr;\n',
      'CREATE TRIGGER tr AFTER INSERT ON public.t FOR EACH ROW EXECUTE FUNCTION public.f();\n',
    ];
    for (const s of ok) expect(scan(s + 'COPY public.t (x) FROM stdin;\n1\n\\.\n').error).toBeUndefined();
  });
});

describe('review A3: linear time, flat memory', () => {
  it('a 32 MiB line of tokens streams through in 64 KiB chunks, unchanged, holding back at most a token and its lookahead', () => {
    const text = Buffer.from(`SELECT ${'1,'.repeat(16 << 20)}1;\n`);
    const g = new PsqlScriptGuard();
    let passed = 0;
    for (let i = 0; i < text.length; i += 65536) {
      const end = Math.min(text.length, i + 65536);
      passed += g.push(text.subarray(i, end)).length;
      expect(end - passed).toBeLessThanOrEqual(1024);
    }
    passed += g.end().length;
    expect(passed).toBe(text.length);
  }, 120_000);

  it('one long string, dollar quote, comment and identifier: passed through as they arrive', () => {
    for (const text of ["SELECT '" + 'x'.repeat(4 << 20) + "';\n", 'SELECT $q$' + 'y'.repeat(4 << 20) + '$q$;\n', 'SELECT 1 /*' + 'z'.repeat(4 << 20) + '*/;\n', `SELECT "${'w'.repeat(4 << 20)}";\n`]) {
      const g = new PsqlScriptGuard();
      const buf = Buffer.from(text);
      let held = 0;
      let passed = 0;
      for (let i = 0; i < buf.length; i += 65536) {
        passed += g.push(buf.subarray(i, i + 65536)).length;
        held = Math.max(held, Math.min(buf.length, i + 65536) - passed);
      }
      passed += g.end().length;
      expect(passed).toBe(buf.length);
      expect(held).toBeLessThan(1024);
    }
  });

  it('a word, number or COPY line longer than the token limit is refused, naming the line', () => {
    for (const text of [`SELECT 1;\nSELECT ${'a'.repeat(10_000)};\n`, `SELECT 1;\nSELECT ${'9'.repeat(10_000)};\n`, `SELECT 1;\nCOPY t (${'c, '.repeat(4000)}c) FROM stdin;\n\\.\n`]) {
      const g = new PsqlScriptGuard(4096);
      const buf = Buffer.from(text);
      expect(() => {
        for (let i = 0; i < buf.length; i += 1000) g.push(buf.subarray(i, i + 1000));
        g.end();
      }).toThrow(/line 2 holds a word, number or COPY line longer than 4096 bytes/);
    }
  });

  it('seeded scripts: any chunking gives the same output or the same refusal as one chunk', () => {
    const parts = ["'a''b'", '$t$ x $t$', '/* c /* d */ */', '-- e\n', '"q""r"', 'COPY t (a) FROM stdin;\n1\n\\.\n', '\n', ';', ' ', 'x1', '1.5e3', ':v', '$1', "E'\\\\'", '\\restrict ab1\n', 'BEGIN;\n', 'COMMIT;\n', '(', ')', 'CREATE FUNCTION f() BEGIN ATOMIC', 'END'];
    const prng = new Prng('a3-chunks');
    for (let round = 0; round < 300; round++) {
      let text = '';
      for (let n = 1 + prng.int(25); n > 0; n--) text += parts[prng.int(parts.length)]!;
      const whole = scan(text);
      const sliced = scan(text, 1 + prng.int(7));
      expect(sliced.error?.message, text).toBe(whole.error?.message);
      if (!whole.error) expect(sliced.out, text).toBe(whole.out);
    }
  });

  it("pg_dump's large-object BEGIN;/COMMIT; pair is dropped; a lone COMMIT, or a BEGIN never closed, is refused", () => {
    const lo = "BEGIN;\n\nSELECT pg_catalog.lo_open('16509', 131072);\nSELECT pg_catalog.lowrite(0, '\\x78');\nSELECT pg_catalog.lo_close(0);\n\nCOMMIT;\n";
    expect(scan(lo)).toEqual({ out: lo.replace('BEGIN;', '').replace('COMMIT;', '') });
    expect(scan('SELECT 1;\nCOMMIT;\n').error?.message).toMatch(/line 2 starts a COMMIT statement/);
    expect(scan('BEGIN;\nSELECT 1;\n').error?.message).toMatch(/large-object block/);
    expect(scan('BEGIN;\nBEGIN;\n').error?.message).toMatch(/line 2 starts a BEGIN statement/);
  });
});

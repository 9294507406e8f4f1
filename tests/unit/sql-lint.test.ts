import { describe, expect, it } from 'vitest';
import { findTransactionControl } from '../../src/lib/sql-lint.js';

describe('findTransactionControl', () => {
  it('finds BEGIN/COMMIT/ROLLBACK/SAVEPOINT/… at statement starts, with their lines', () => {
    const sql = 'CREATE TABLE half_a (x int);\nCOMMIT;\nCREATE TABLE half_b (x int);\n  begin ;\nsavepoint s; release s;\nrollback to s;\nSTART TRANSACTION;\nEND;\nABORT;\nPREPARE TRANSACTION \'x\';\n';
    expect(findTransactionControl(sql)).toEqual([
      { line: 2, statement: 'COMMIT' },
      { line: 4, statement: 'BEGIN' },
      { line: 5, statement: 'SAVEPOINT' },
      { line: 5, statement: 'RELEASE' },
      { line: 6, statement: 'ROLLBACK' },
      { line: 7, statement: 'START TRANSACTION' },
      { line: 8, statement: 'END' },
      { line: 9, statement: 'ABORT' },
      { line: 10, statement: 'PREPARE TRANSACTION' },
    ]);
  });

  it('ignores comments, string literals, quoted identifiers and dollar quotes', () => {
    const sql = [
      '-- COMMIT; in a line comment',
      '/* outer /* nested COMMIT; */ still comment; COMMIT; */',
      "INSERT INTO t VALUES ('a; COMMIT; b', E'it\\'s; COMMIT;', 'x''; COMMIT;');",
      'CREATE TABLE "x; COMMIT" (y int);',
      'DO $$ BEGIN PERFORM 1; COMMIT; END $$;',
      'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 1; END; $body$;',
      'CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;',
      'PREPARE q AS SELECT $1::int;',
      'SELECT 1;',
    ].join('\n');
    expect(findTransactionControl(sql)).toEqual([]);
  });

  it('a statement after a BEGIN ATOMIC body is checked again', () => {
    const sql = 'CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\nCOMMIT;';
    expect(findTransactionControl(sql)).toEqual([{ line: 2, statement: 'COMMIT' }]);
  });

  it('seeded: transaction words hidden in quotes and comments never count, real ones always do', () => {
    let seed = 42;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const hide = [(w: string) => `-- ${w};`, (w: string) => `/* ${w}; */`, (w: string) => `SELECT '${w};';`, (w: string) => `SELECT $q$${w};$q$;`, (w: string) => `SELECT E'\\'${w};';`];
    for (let round = 0; round < 200; round++) {
      const lines: string[] = [];
      const want: number[] = [];
      for (let k = 0; k < 8; k++) {
        const word = ['COMMIT', 'BEGIN', 'ROLLBACK', 'SAVEPOINT a'][rnd(4)]!;
        if (rnd(3) === 0) {
          lines.push(`${word};`);
          want.push(lines.length);
        } else lines.push(hide[rnd(hide.length)]!(word));
      }
      expect(findTransactionControl(lines.join('\n')).map((f) => f.line)).toEqual(want);
    }
  });
});

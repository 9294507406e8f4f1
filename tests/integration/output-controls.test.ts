// Names from outside (databases, backup files, migration versions) that hold control characters
// never reach the terminal raw (review A7): human output shows them escaped, `--json` exactly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminQuery, dropAll } from '../helpers/pg.js';
import { runCli } from '../helpers/project.js';
import { setupProject, type SetupProject } from '../helpers/setup-db.js';
import { makeApp, type App } from './backup-fixtures.js';
import { needsClientTools } from '../helpers/pg-major.js';

const dump = await needsClientTools();

/** Names that clear the screen, fake a line, move the cursor, or are C1 controls. */
const HOSTILE = ['clear\x1b[2J\x1b[H', 'cr\rFAKE-CR', 'nl\nFAKE-LINE ok', 'del\x7fbell\x07', 'c1\u009b31mcsi\u0085nel'];
const SHOWN = ['clear\\x1b[2J\\x1b[H', 'cr\\rFAKE-CR', 'nl\\nFAKE-LINE ok', 'del\\x7fbell\\x07', 'c1\\u009b31mcsi\\u0085nel'];

/** No byte a terminal would act on: only printable text, tabs and line ends. */
function expectNoControls(text: string, what: string) {
  const raw = [...text].filter((c) => /[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(c));
  expect(raw.map((c) => c.charCodeAt(0).toString(16)), `${what}:\n${JSON.stringify(text)}`).toEqual([]);
  // A newline inside a name would start a line of its own.
  expect(text.split('\n').filter((l) => l.startsWith('FAKE')), what).toEqual([]);
}

describe.skipIf(dump.skip)(`control characters in names${dump.note}`, () => {
  let app: App;
  beforeAll(async () => {
    app = await makeApp();
    for (const d of HOSTILE) {
      await adminQuery(`CREATE DATABASE "${d}" OWNER ${app.role}`);
      app.databases.push(d);
    }
  });
  afterAll(async () => {
    await app?.cleanup();
  });

  it('backup --all-projects and backup list print them escaped; --json keeps them exact', async () => {
    const r = await runCli(['backup', '--all-projects', '--dir', 'bk'], { cwd: app.project.dir, env: app.env });
    expect(r.code, r.stderr).toBe(0);
    expectNoControls(r.stdout, 'backup stdout');
    expectNoControls(r.stderr, 'backup stderr');
    for (const s of SHOWN) expect(r.stdout).toContain(`✓ ${s} → `);

    const list = await runCli(['backup', 'list', '--dir', 'bk'], { cwd: app.project.dir, env: app.env });
    expect(list.code, list.stderr).toBe(0);
    expectNoControls(list.stdout + list.stderr, 'backup list');
    for (const s of SHOWN) expect(list.stdout).toContain(s);

    const json = await runCli(['backup', 'list', '--dir', 'bk', '--json'], { cwd: app.project.dir, env: app.env });
    expectNoControls(json.stdout, 'backup list --json');
    const names = JSON.parse(json.stdout).backups.map((b: { database: string }) => b.database);
    for (const d of HOSTILE) expect(names).toContain(d);
  }, 120_000);
});

describe('control characters in verify-db output', () => {
  let p: SetupProject;
  beforeAll(async () => {
    p = await setupProject();
    const s = await runCli(['setup-db'], { cwd: p.dir, env: p.env });
    expect(s.code, s.stderr).toBe(0);
    // Versions applied that no migration file has: verify-db names each one.
    for (const v of HOSTILE) await adminQuery("INSERT INTO registry.schema_migrations (version, description, checksum) VALUES ($1, 'x', 'x')", [v], p.db);
  }, 120_000);
  afterAll(async () => {
    await dropAll({ databases: [p.db, p.testDb], roles: [p.user] });
    await p.cleanup();
  });

  it('the schema check names the unknown versions escaped, on one line', async () => {
    const r = await runCli(['verify-db'], { cwd: p.dir, env: p.env });
    expectNoControls(r.stdout, 'verify-db stdout');
    expectNoControls(r.stderr, 'verify-db stderr');
    const line = r.stdout.split('\n').find((l) => l.includes('applied in') && l.includes('but no file'));
    for (const s of SHOWN) expect(line).toContain(s);
  }, 120_000);
});

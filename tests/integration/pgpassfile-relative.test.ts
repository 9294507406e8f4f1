// A relative PGPASSFILE names a file from where mcpctl was started (as for psql run there), also
// for the children mcpctl runs in the project folder (pg_dump, the server): they get it absolute.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/project.js';
import { needsClientTools } from '../helpers/pg-major.js';
import { setupProjectsPerTest } from '../helpers/setup-db.js';

const newProject = setupProjectsPerTest();
const tools = await needsClientTools();

describe.skipIf(tools.skip)(`a relative PGPASSFILE with -C${tools.note}`, () => {
  it('setup-db writes it where it was started; backup (pg_dump in the project folder) logs in with it; the server started by serve can read it', async () => {
    const p = await newProject();
    const start = path.dirname(p.dir);
    await fs.mkdir(path.join(start, 'creds'));
    const env = { ...p.env, PGPASSFILE: 'creds/pgpass' };
    const setup = await runCli(['-C', p.dir, 'setup-db', '--yes'], { cwd: start, env });
    expect(setup.code, setup.stderr).toBe(0);
    const file = path.join(start, 'creds', 'pgpass');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    await expect(fs.stat(path.join(p.dir, 'creds'))).rejects.toThrow();
    // Only the password file holds the password for pg_dump: .env.local is taken out of the way.
    await fs.rm(path.join(p.dir, '.env.local'));
    const backup = await runCli(['-C', p.dir, 'backup', '--json'], { cwd: start, env });
    expect(backup.code, backup.stderr).toBe(0);
    expect(JSON.parse(backup.stdout).ok).toBe(true);
    // The server runs in the project folder: a relative path would name another file there.
    const serve = await runCli(['-C', p.dir, 'serve', '--', '/bin/sh', '-c', 'test -r "$PGPASSFILE" && echo "readable: $PGPASSFILE"'], { cwd: start, env });
    expect(serve.stdout + serve.stderr).toContain(`readable: ${file}`);
  });
});

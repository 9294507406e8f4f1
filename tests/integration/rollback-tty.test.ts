// The interactive path in a real pseudo-terminal: util-linux `script` runs the built CLI on a
// pty, and the test types its answers when the prompts appear. Needs `npm run build`.
import { spawn } from 'node:child_process';
import { appendFileSync, promises as fs, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupScenes, fullSnapshot, objectsHold, rollbackScene, snapshot, type Repo } from '../helpers/git-repo.js';
import { BIN } from '../helpers/project.js';

const repos: Repo[] = [];
afterEach(async () => {
  for (const r of repos.splice(0)) await r.cleanup();
});
afterAll(cleanupScenes);

/** Runs `mcpctl <args>` on a pty; each answer is typed once its prompt (a regex) has appeared. */
function onPty(repo: Repo, args: string[], answers: { when: RegExp; type: string; before?: () => void }[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const cmd = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // CI must be unset, or mcpctl would (rightly) never ask.
  const env = { ...repo.env, TERM: 'dumb', ...extraEnv };
  const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: repo.dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const pending = [...answers];
  const onData = (d: Buffer) => {
    output += d.toString('utf8');
    while (pending.length && pending[0]!.when.test(output)) {
      const next = pending.shift()!;
      next.before?.();
      child.stdin.write(next.type);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.end();
      resolve({ code, output });
    });
  });
}

describe('rollback on a terminal', () => {
  it('typing rollback in lower case refuses and changes nothing', async () => {
    const { repo } = await rollbackScene();
    repos.push(repo);
    const before = await snapshot(repo);
    const r = await onPty(repo, ['rollback'], [{ when: /Type ROLLBACK to continue/, type: 'rollback\r' }]);
    expect(r.output).toMatch(/Rollback plan/);
    expect(r.output).toMatch(/not ROLLBACK; nothing changed/);
    expect(r.code).toBe(3);
    expect(await snapshot(repo)).toEqual(before);
  });

  it('answering the branch question and typing ROLLBACK proceeds', async () => {
    const { repo, tagCommit } = await rollbackScene();
    repos.push(repo);
    const r = await onPty(
      repo,
      ['rollback', '--expect-branch', 'somewhere-else'],
      [
        { when: /Roll back main anyway\?/, type: 'y' },
        { when: /Type ROLLBACK to continue/, type: 'ROLLBACK\r' },
      ],
    );
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/main is at/);
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(tagCommit);
    expect(repo.git('stash', 'list')).toMatch(/mcpctl rollback/);
  });

  it.each([
    ['--no-color', ['--no-color'], {}],
    ['NO_COLOR=1', [], { NO_COLOR: '1' }],
  ] as const)('%s: the typed confirmation is drawn without colour too', async (_name, flags, extraEnv) => {
    const { repo } = await rollbackScene();
    repos.push(repo);
    const r = await onPty(repo, ['rollback', ...flags], [{ when: /Type ROLLBACK to continue/, type: 'no\r' }], { TERM: 'xterm-256color', ...extraEnv });
    expect(r.output).toMatch(/Type ROLLBACK to continue/);
    expect(r.output).not.toMatch(/\x1b\[[0-9;]*m/);
    expect(r.code).toBe(3);
  });

  // Finding 2: the plan is re-checked after the confirmation, before the first change.
  const PASSWORD = 'Wq7-waiting-secret-4d2f9b';
  for (const [what, file] of [
    ['a new .env', '.env'],
    ['a file of the plan', 'notes/untracked.txt'],
  ] as const) {
    it(`${what} written with a password while the confirmation waits: refused, nothing changed, never stashed`, async () => {
      const { repo } = await rollbackScene();
      repos.push(repo);
      // The project's password, in its ignored .env.local.
      appendFileSync(path.join(repo.dir, '.git', 'info', 'exclude'), '/.env.local\n');
      await repo.write('.env.local', `POSTGRES_PASSWORD=${PASSWORD}\n`);
      const before = await fullSnapshot(repo);
      const original = await repo.read(file).catch(() => undefined);
      const r = await onPty(repo, ['rollback'], [{ when: /Type ROLLBACK to continue/, type: 'ROLLBACK\r', before: () => writeFileSync(path.join(repo.dir, file), `POSTGRES_PASSWORD=${PASSWORD}\n`) }]);
      expect(r.code, r.output).toBe(1);
      expect(objectsHold(repo, [PASSWORD])).toBe(false);
      expect(r.output).toMatch(/the work tree changed while waiting; run again to see the new plan/);
      expect(r.output).not.toContain(PASSWORD);
      // As before the wait, the repository is as it was.
      if (original === undefined) await fs.rm(path.join(repo.dir, file));
      else await repo.write(file, original);
      expect(await fullSnapshot(repo)).toEqual(before);
    });
  }
});

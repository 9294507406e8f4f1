// Which names the rollback refuses to stash as env files (review round 2, finding 4).
import { describe, expect, it } from 'vitest';
import { isEnvFile } from '../../src/commands/rollback/stash.js';
import { envFileSecrets } from '../../src/commands/rollback/project-secrets.js';

describe('isEnvFile', () => {
  it.each(['.env', '.env.local', 'svc/.env.production', '.envrc', 'tools/.envrc', '.env~', '.env.local~', 'prod.env', 'deploy/staging.env', '.prod.env', '.env.bak'])('%s is an env file', (p) => {
    expect(isEnvFile(p)).toBe(true);
  });
  it.each(['.env.example', '.env.sample', '.env.template', '.env.dist', '.env.example~', 'example.env', 'sample.env', 'template.env', 'env', 'environment.ts', '.envrc.d/x', 'a.env/b', 'notes.txt', 'venv'])('%s is not', (p) => {
    expect(isEnvFile(p)).toBe(false);
  });
});

describe('envFileSecrets: which values of an env file count as secrets', () => {
  it.each([
    ['POSTGRES_PASSWORD', 'pw-0123456789', ['pw-0123456789']],
    ['API_TOKEN', 'tok-abcdef', ['tok-abcdef']],
    ['OPENAI_API_KEY', 'sk-123456789', ['sk-123456789']],
    ['AWS_SECRET_ACCESS_KEY', 'abc/def+ghi', ['abc/def+ghi']],
    ['GITHUB_PAT', 'ghp_xyz', ['ghp_xyz']],
    ['DB_PASS', 'hunter2hunter2', ['hunter2hunter2']],
    ['JWT_SECRET', 'changeme', []],
    ['LOG_LEVEL', 'information', []],
    ['KEYBOARD', 'us-international', []],
    ['REDIS_URL', 'redis://:r3dis%40pw@cache:6379/0', ['r3dis@pw']],
    ['BROKER', 'amqp://user:s3cret-pw@mq/vhost', ['s3cret-pw']],
    ['DATABASE_URL', 'postgresql://u:pg-pw-1234@db/x', ['pg-pw-1234']],
    ['HOMEPAGE', 'https://example.test/a@b', []],
  ])('%s=%s → %j', (key, value, want) => {
    expect(envFileSecrets(key, value)).toEqual(want);
  });
});

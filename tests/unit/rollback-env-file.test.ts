// Which names the rollback refuses to stash as env files (review round 2, finding 4).
import { describe, expect, it } from 'vitest';
import { isEnvFile } from '../../src/commands/rollback/stash.js';

describe('isEnvFile', () => {
  it.each(['.env', '.env.local', 'svc/.env.production', '.envrc', 'tools/.envrc', '.env~', '.env.local~', 'prod.env', 'deploy/staging.env', '.prod.env', '.env.bak'])('%s is an env file', (p) => {
    expect(isEnvFile(p)).toBe(true);
  });
  it.each(['.env.example', '.env.sample', '.env.template', '.env.dist', '.env.example~', 'example.env', 'sample.env', 'template.env', 'env', 'environment.ts', '.envrc.d/x', 'a.env/b', 'notes.txt', 'venv'])('%s is not', (p) => {
    expect(isEnvFile(p)).toBe(false);
  });
});

import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { Cluster } from './cluster.js';
import { testBinaries } from './test-binaries.js';

/** What every test file can `inject('pg')`. */
export interface PgHarness {
  host: string;
  port: number;
  socketDir: string;
  superuser: string;
  superuserPassword: string;
  /** An initialised, stopped data folder to copy for a private cluster. */
  templateDataDir: string;
  /** Folder under which private clusters are made (reachable by the server's OS user). */
  baseDir: string;
  /** The server binaries every test cluster runs (PG_MAJOR's, or the preferred installed ones). */
  binDir: string;
  /** Their major version. */
  major: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    pg: PgHarness;
  }
}

/**
 * One throwaway scram-sha-256 cluster per test run: initdb once into a template (on tmpfs
 * when there is one), copy it for the shared server, and delete everything at the end —
 * also when tests fail. Tests never rely on a server that may already run on port 5432.
 */
export default async function setup(project: TestProject) {
  const root = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const baseDir = await fs.mkdtemp(path.join(root, 'mcpctl-test-'));
  await fs.chmod(baseDir, 0o755);
  const password = randomBytes(18).toString('base64url');
  // PG_MAJOR=14 (say) runs the suite against that major: installed, or fetched into the cache.
  // Exported as MCPCTL_PG_BIN so that every test cluster and every mcpctl the tests start use it
  // (without PG_MAJOR, binaries are found as users' machines find them).
  const bin = await testBinaries(process.env.PG_MAJOR);
  if (process.env.PG_MAJOR) process.env.MCPCTL_PG_BIN = bin.dir;
  let shared: Cluster | undefined;
  let template: Cluster;
  let info;
  try {
    template = await Cluster.create({ baseDir: path.join(baseDir, 'template'), superuserPassword: password });
    shared = await Cluster.create({ baseDir: path.join(baseDir, 'shared'), superuserPassword: password, templateDataDir: template.info.dataDir });
    info = await shared.start();
  } catch (e) {
    await shared?.destroy();
    await fs.rm(baseDir, { recursive: true, force: true });
    throw e;
  }
  project.provide('pg', {
    host: info.host,
    port: info.port,
    socketDir: info.socketDir,
    superuser: info.superuser,
    superuserPassword: password,
    templateDataDir: template.info.dataDir,
    baseDir,
    binDir: bin.dir,
    major: bin.major,
  });
  return async () => {
    await shared!.destroy();
    await fs.rm(baseDir, { recursive: true, force: true });
  };
}

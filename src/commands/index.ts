import type { Command } from 'commander';
import { registerBackup } from './backup.js';
import { registerBaseline } from './baseline.js';
import { registerRollback } from './rollback.js';
import { registerServe } from './serve.js';
import type { EnvFactory } from './shared.js';
import { registerSetupDb } from './setup-db.js';
import { registerVerifyDb } from './verify-db.js';
import { registerVerifyEnv } from './verify-env.js';

/** Registers every command, in the contract's order. Each adapter loads its implementation only when it runs. */
export function registerCommands(program: Command, makeEnv: EnvFactory): void {
  registerSetupDb(program, makeEnv);
  registerVerifyDb(program, makeEnv);
  registerVerifyEnv(program, makeEnv);
  registerBackup(program, makeEnv);
  registerRollback(program, makeEnv);
  registerBaseline(program, makeEnv);
  registerServe(program, makeEnv);
}

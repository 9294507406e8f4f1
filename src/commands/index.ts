import type { Command } from 'commander';
import type { EnvFactory } from './shared.js';
import { registerVerifyDb } from './verify-db.js';
import { registerVerifyEnv } from './verify-env.js';

/** Registers every command. Each adapter loads its implementation only when it runs. */
export function registerCommands(program: Command, makeEnv: EnvFactory): void {
  registerVerifyEnv(program, makeEnv);
  registerVerifyDb(program, makeEnv);
}

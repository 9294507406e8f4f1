import type { Command } from 'commander';
import type { EnvFactory } from './shared.js';
import { registerSetupDb } from './setup-db.js';
import { registerVerifyEnv } from './verify-env.js';

/** Registers every command. Each adapter loads its implementation only when it runs. */
export function registerCommands(program: Command, makeEnv: EnvFactory): void {
  registerSetupDb(program, makeEnv);
  registerVerifyEnv(program, makeEnv);
}

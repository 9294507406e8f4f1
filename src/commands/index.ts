import type { Command } from 'commander';
import type { EnvFactory } from './shared.js';
import { registerVerifyEnv } from './verify-env.js';
import { registerBackup } from './backup.js';

/** Registers every command. Each adapter loads its implementation only when it runs. */
export function registerCommands(program: Command, makeEnv: EnvFactory): void {
  registerVerifyEnv(program, makeEnv);
  registerBackup(program, makeEnv);
}

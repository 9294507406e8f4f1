import os from 'node:os';
import type { MachineInfo } from './formats.js';

/** The machine a benchmark runs on, as recorded in baseline files. */
export function machineInfo(nodeVersion: string): MachineInfo {
  const cpus = os.cpus();
  return {
    os: os.platform(),
    arch: os.arch(),
    os_release: os.release(),
    os_version: typeof os.version === 'function' ? os.version() : '',
    cpu_model: cpus[0]?.model.trim() ?? 'unknown',
    cpu_count: cpus.length,
    memory_bytes: os.totalmem(),
    node: nodeVersion,
  };
}

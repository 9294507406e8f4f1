import type { ChildExit, SupervisedChild } from '../../lib/process/supervisor.js';
import type { HealthDoc } from './health-server.js';
import type { WaitAttempt } from './wait-for-db.js';

/** Signals serve handles: SIGINT and SIGTERM stop the child (with a grace period), SIGHUP is only passed on. */
export type ForwardedSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';
export const FORWARDED_SIGNALS: readonly ForwardedSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** What happens, in order, for the adapter to render (on stderr: the child owns stdout). */
export type ServeEvent =
  | { type: 'interpreter'; note: string }
  | { type: 'health-listening'; url: string }
  | { type: 'waiting'; target: string; server: string; attempt: WaitAttempt }
  | { type: 'db-ready'; target: string; attempts: number; ms: number }
  | { type: 'started'; pid: number; command: string[]; restarts: number }
  | { type: 'signal'; signal: ForwardedSignal; pid: number | undefined; action: 'forwarded' | 'killed' | 'cancelled-restart' }
  | { type: 'exited'; exit: ChildExit; crashed: boolean }
  | { type: 'restarting'; delayMs: number; restarts: number; exit: ChildExit }
  | { type: 'gave-up'; crashes: number; windowMs: number; exit: ChildExit }
  | { type: 'debug'; text: string };

/**
 * What one serve run knows while it supervises the child, shared by the supervision loop, the
 * signal handler and the health endpoint.
 */
export class Supervision {
  child: SupervisedChild | undefined;
  everStarted = false;
  restarts = 0;
  /** The first SIGINT/SIGTERM received: serve is stopping and restarts no more. */
  stopSignal: ForwardedSignal | undefined;
  /** Aborted by the first SIGINT/SIGTERM: waits (database, restart delay) end at once. */
  readonly stopping = new AbortController();
  #interrupts = 0;

  constructor(
    private readonly emit: (e: ServeEvent) => void,
    private readonly graceMs: number,
  ) {}

  /** A signal for the child: forwarded (a second Ctrl-C kills), or it cancels a pending restart. */
  readonly onSignal = (sig: ForwardedSignal): void => {
    if (sig !== 'SIGHUP') {
      this.stopSignal ??= sig;
      this.stopping.abort();
    }
    const child = this.child;
    if (!child?.running) {
      if (sig !== 'SIGHUP' && this.everStarted) this.emit({ type: 'signal', signal: sig, pid: undefined, action: 'cancelled-restart' });
      return;
    }
    if (sig === 'SIGINT' && ++this.#interrupts > 1) {
      // A second Ctrl-C means "now": the grace period is for well-behaved shutdowns.
      this.emit({ type: 'signal', signal: sig, pid: child.pid, action: 'killed' });
      child.kill();
      return;
    }
    // Said first, so that the message comes before whatever the server prints on its way out.
    this.emit({ type: 'signal', signal: sig, pid: child.pid, action: 'forwarded' });
    child.signal(sig, sig === 'SIGHUP' ? undefined : this.graceMs);
  };

  /** The health document now (the contract's shape); healthy only when the child runs and the database answers. */
  health(databaseConnected: boolean, version: string, nowMs: number): { healthy: boolean; doc: HealthDoc } {
    const child = this.child;
    const running = child?.running === true;
    const status: HealthDoc['status'] = this.stopSignal ? 'stopping' : !this.everStarted ? 'starting' : !running ? 'down' : databaseConnected ? 'ok' : 'degraded';
    const doc: HealthDoc = {
      status,
      version,
      database_connected: databaseConnected,
      server: { pid: running ? child!.pid : null, uptime_s: running ? Math.floor((nowMs - child!.startedAt) / 1000) : null, restarts: this.restarts },
    };
    return { healthy: status === 'ok', doc };
  }
}

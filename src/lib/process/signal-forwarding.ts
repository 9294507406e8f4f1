/**
 * Lets a command take over SIGINT/SIGTERM/SIGHUP while it runs (serve forwards them to its
 * child). While one does, cli.ts leaves those signals alone instead of aborting the command.
 * The state lives in one router that cli.ts creates and hands to the context (no module state).
 * Tiny and dependency-free: cli.ts imports it at start-up.
 */

/** Routes process signals to the command that took them over. */
export interface SignalRouter {
  /** True while a command handles signals itself. */
  readonly takenOver: boolean;
  /** Calls `handler` for each of `signals` until the returned function is called. */
  takeOver<S extends NodeJS.Signals>(signals: readonly S[], handler: (sig: S) => void): () => void;
}

export function createSignalRouter(): SignalRouter {
  let takers = 0;
  return {
    get takenOver() {
      return takers > 0;
    },
    takeOver(signals, handler) {
      const subs = signals.map((sig) => [sig, () => handler(sig)] as const);
      for (const [sig, fn] of subs) process.on(sig, fn);
      takers++;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        takers--;
        for (const [sig, fn] of subs) process.off(sig, fn);
      };
    },
  };
}

/**
 * Lets a command take over SIGINT/SIGTERM/SIGHUP while it runs (serve forwards them to its
 * child). While one does, cli.ts leaves those signals alone instead of aborting the command.
 * Tiny and dependency-free: cli.ts imports it at start-up.
 */
let takers = 0;

/** True while a command handles signals itself. */
export function signalsTakenOver(): boolean {
  return takers > 0;
}

/** Calls `handler` for each of `signals` until the returned function is called. */
export function takeOverSignals<S extends NodeJS.Signals>(signals: readonly S[], handler: (sig: S) => void): () => void {
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
}

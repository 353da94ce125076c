/**
 * The runtime runs in its own process group (so a timeout can kill R and whatever it started),
 * which also shields it from the terminal's Ctrl-C. `invoke` and `serve` therefore tie its life to
 * theirs: on SIGINT or SIGTERM they kill the runtime's process group and exit with 128 + the
 * signal number, and on any other exit they kill it too.
 */

export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

export type ShutdownSignal = keyof typeof SIGNAL_EXIT_CODES;

/** The part of `process` this needs, so tests can pass their own. */
export interface ProcessHooks {
  on(event: 'exit', listener: () => void): unknown;
  on(event: ShutdownSignal, listener: (signal: ShutdownSignal) => void): unknown;
  off(event: 'exit', listener: () => void): unknown;
  off(event: ShutdownSignal, listener: (signal: ShutdownSignal) => void): unknown;
  exit(code: number): void;
}

export interface ShutdownOptions {
  /** Kills the runtime's process group; synchronous, as 'exit' listeners cannot wait. */
  killRuntime(): void;
  /** Where to say why the program stops (stderr). */
  log?: NodeJS.WritableStream;
  /** What to tie the runtime to: the current process by default. */
  target?: ProcessHooks;
}

/** Registers the hooks; returns a function that removes them. */
export function stopRuntimeWithProcess(options: ShutdownOptions): () => void {
  const target: ProcessHooks = options.target ?? process;
  const onExit = (): void => options.killRuntime();
  const onSignal = (signal: ShutdownSignal): void => {
    options.killRuntime();
    options.log?.write(`${signal}: stopped the R runtime\n`);
    target.exit(SIGNAL_EXIT_CODES[signal]);
  };
  target.on('exit', onExit);
  target.on('SIGINT', onSignal);
  target.on('SIGTERM', onSignal);
  return () => {
    target.off('exit', onExit);
    target.off('SIGINT', onSignal);
    target.off('SIGTERM', onSignal);
  };
}

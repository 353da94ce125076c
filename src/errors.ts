/**
 * A mistake the user can fix: bad input, a missing file, a checksum mismatch.
 * Its message is printed as is (no stack), so it must say what was wrong and what to do. When it wraps a lower
 * error, pass that as `{ cause }`: the message says what it means for the user, the cause keeps what really failed.
 */
export class UserError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UserError';
  }
}

/** The message of any thrown value, for the single top-level catch of each entry point. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  // An error from another realm (Node's own, seen from a test runner's VM context) is not `instanceof Error`.
  const message = (error as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' ? message : String(error);
}

/** The error and every cause below it, outermost first (bounded, in case a chain loops). */
export function errorChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e: unknown = error; e !== undefined && chain.length < 10 && !chain.includes(e);) {
    chain.push(e);
    // Duck-typed: an error from another realm (a VM context) is not `instanceof Error` but has its cause.
    e = typeof e === 'object' && e !== null ? (e as { cause?: unknown }).cause : undefined;
  }
  return chain;
}

/**
 * What a front says when a run fails. `message` is for the user: a UserError's own message, with what caused it
 * (`… (caused by: …)`), since a wrapped error's cause is often the fact that explains it; anything else is a bug, so
 * its kind is named and the reader pointed at the detail. `detail` is the stack of the error and of each cause, for
 * the action's debug log and the CLI's stderr (for anything that is not a UserError).
 */
export function failureReport(error: unknown): { message: string; detail: string } {
  const [, ...causes] = errorChain(error);
  const causeText = causes.map((c) => `caused by: ${errorMessage(c)}`);
  let message: string;
  if (error instanceof UserError || !(error instanceof Error)) {
    message = [errorMessage(error), ...causeText].join('\n  ');
  } else {
    message = `${error.name}: ${error.message} (an unexpected error; its stack and causes are in the debug log)`;
  }
  const detail = errorChain(error)
    .map((e, i) => {
      const text = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
      return i === 0 ? text : `caused by: ${text}`;
    })
    .join('\n');
  return { message, detail };
}

/**
 * A mistake the user can fix: bad input, a missing file, a checksum mismatch.
 * Its message is printed as is (no stack), so it must say what was wrong and what to do.
 */
export class UserError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UserError';
  }
}

/** The message of any thrown value, for the single top-level catch of each entry point. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

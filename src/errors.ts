/** An error the user can act on: printed as one line, exit code 2, never a stack trace. */
export class LeakguardError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'LeakguardError';
    this.exitCode = exitCode;
  }
}

export const EXIT_CLEAN = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_ERROR = 2;

/**
 * V8 tuning for the long commands (history scans and what builds on them).
 *
 * V8 optimises a function once it has run a set amount of bytecode (its interrupt budget). A
 * history scan runs its few hot loops for a second or more in three isolates (this thread and two
 * worker threads), and with the default budget the optimising compiler also compiles, in each
 * isolate, many functions that never get hot: on express it took a fifth of all CPU. A budget
 * about 7x the default leaves the hot loops optimised and skips most of the rest (measured on
 * express: 1.76 s of CPU instead of 2.0 s, 0.97 s wall instead of 1.08 s; on lodash 7.6 s of CPU
 * instead of 8.1 s).
 *
 * A pre-commit scan is the opposite case: it is over in tens of milliseconds and needs its few hot
 * functions optimised at once (the larger budget cost it 8 ms), so it keeps the default.
 * V8 flags belong to the whole process: the command line owns its process, so the flag is set
 * here and never by the library API.
 */
import { createRequire } from 'node:module';
const LONG_RUN_BUDGET = 1_000_000;

/** Call before the long work starts (before worker threads are created). node:v8 loads only here. */
export function tuneForLongRun(): void {
  const v8 = createRequire(import.meta.url)('node:v8') as typeof import('node:v8');
  v8.setFlagsFromString(`--interrupt-budget=${LONG_RUN_BUDGET}`);
}

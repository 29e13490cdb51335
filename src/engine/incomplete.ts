/**
 * The error of a history scan that could not read everything: its findings are real and are still
 * reported, but the run must not pass as an all-clear. Kept apart from the history scan so the
 * command line can recognise it without loading that machinery for a one-off scan.
 */
import { LeakguardError } from '../errors.js';
import type { Finding, ScanReport } from '../types.js';
import type { Ruleset } from './compile.js';

export class IncompleteScan extends LeakguardError {
  /** Filled in by the API: the report to print before the error. */
  report?: ScanReport & { ruleset: Ruleset };
  readonly findings: Finding[];
  readonly secrets: Set<string>;
  constructor(found: { findings: Finding[]; secrets: Set<string> }, message: string) {
    super(`scan incomplete: ${message}`);
    this.findings = found.findings;
    this.secrets = found.secrets;
  }
}

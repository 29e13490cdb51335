/** Where a command's report goes, and how it is rendered. */
import { writeFileSync } from 'node:fs';
import type { ScanReport } from '../types.js';
import type { CompiledRule } from '../engine/compile.js';
import { formatText } from '../report/text.js';
import { formatJson } from '../report/json.js';
import { formatSarif } from '../report/sarif.js';
import { formatGitlab } from '../report/gitlab.js';
import { extentOf } from '../report/extent.js';
import { redactReport } from '../engine/findings.js';
import { LeakguardError } from '../errors.js';
import { VERSION } from './version.js';

export type Format = 'text' | 'json' | 'sarif' | 'gitlab';

/** Formats that show where a secret ends: they need the scan's findings before redaction. */
export const needsSecretExtent = (format: Format) => format === 'sarif' || format === 'gitlab';

export interface RenderOptions {
  quiet: boolean;
  color: boolean;
  /** Redact here (a report scanned unredacted for its extents); never leaves a secret in the output. */
  redact?: boolean;
  headCommit?: string;
}

export function render(report: ScanReport, rules: CompiledRule[], format: Format, opts: RenderOptions): string {
  const extents = needsSecretExtent(format) ? report.findings.map(extentOf) : undefined;
  if (opts.redact && !report.redacted) {
    const known = (report as ScanReport & { knownSecrets?: Set<string> }).knownSecrets ?? [];
    report = { ...redactReport(report, known), redacted: true };
  }
  if (format === 'json') return formatJson(report, VERSION);
  if (format === 'sarif') return formatSarif(report, rules, VERSION, extents);
  if (format === 'gitlab') return formatGitlab(report, rules, VERSION, { extents, headCommit: opts.headCommit });
  return formatText(report, opts);
}

export function emit(text: string, output: string | undefined): void {
  if (!output) { process.stdout.write(text); return; }
  try {
    writeFileSync(output, text);
  } catch (e) {
    throw new LeakguardError(`cannot write ${output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

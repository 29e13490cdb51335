/** Where a command's report goes, and how it is rendered. */
import { writeFileSync } from 'node:fs';
import type { ScanReport } from '../types.js';
import type { CompiledRule } from '../engine/compile.js';
import { formatText } from '../report/text.js';
import { formatJson } from '../report/json.js';
import { formatSarif } from '../report/sarif.js';
import { LeakguardError } from '../errors.js';
import { VERSION } from './version.js';

export type Format = 'text' | 'json' | 'sarif';

export function render(report: ScanReport, rules: CompiledRule[], format: Format, opts: { quiet: boolean; color: boolean }): string {
  if (format === 'json') return formatJson(report, VERSION);
  if (format === 'sarif') return formatSarif(report, rules, VERSION);
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

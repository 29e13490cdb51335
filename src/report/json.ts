import type { ScanReport } from '../types.js';

/**
 * The JSON contract: `{findings: [...], stats: {...}}`, secrets already redacted unless asked not to
 * be. Written as a sequence of pieces, one per finding, so a report of a million findings never has
 * to be one string (V8 caps a string at 512 MB) and is written as it is formed.
 */
export function* jsonChunks(report: ScanReport, version: string): Generator<string> {
  const indent = (value: unknown, depth: number) =>
    JSON.stringify(value, null, 2).replace(/\n/g, `\n${'  '.repeat(depth)}`);
  yield `{\n  "tool": ${indent({ name: 'leakguard', version }, 1)},\n  "target": ${indent(report.target, 1)},\n  "redacted": ${report.redacted},\n  "findings": [`;
  let first = true;
  for (const f of report.findings) {
    yield `${first ? '' : ','}\n    ${indent(f, 2)}`;
    first = false;
  }
  yield `${first ? '' : '\n  '}],\n  "stats": ${indent(report.stats, 1)}\n}\n`;
}

/** The whole report as one string, for callers that hold it anyway (small reports). */
export function formatJson(report: ScanReport, version: string): string {
  return [...jsonChunks(report, version)].join('');
}

import type { ScanReport } from '../types.js';

/** The JSON contract: `{findings: [...], stats: {...}}`, secrets already redacted unless asked not to be. */
export function formatJson(report: ScanReport, version: string): string {
  return `${JSON.stringify({
    tool: { name: 'leakguard', version },
    target: report.target,
    redacted: report.redacted,
    findings: report.findings,
    stats: report.stats,
  }, null, 2)}\n`;
}

/** Human output: findings grouped by file, colour only on a TTY, and how to accept a finding. */
import type { Finding, ScanReport, SkipReason } from '../types.js';
import { formatBytes } from '../engine/units.js';

export interface TextOptions { color: boolean; quiet: boolean }

const SKIP_WORDS: Record<SkipReason, string> = {
  binary: 'binary', 'too-large': 'larger than the content limit', submodule: 'submodule (not entered)',
  missing: 'missing on disk', unreadable: 'unreadable', timeout: 'rule timed out', allowlisted: 'allowlisted by path',
};

/** Paths may hold newlines or control characters; show them escaped so one finding stays one line. */
export function displayPath(p: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x1f\x7f"]/.test(p) ? JSON.stringify(p) : p;
}

export function formatText(report: ScanReport, opts: TextOptions): string {
  const c = (code: string, s: string) => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const lines: string[] = [];
  const byPath = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const list = byPath.get(f.path) ?? [];
    list.push(f);
    byPath.set(f.path, list);
  }
  for (const [path, list] of byPath) {
    lines.push(c('1', displayPath(path)));
    for (const f of list) {
      const sev = f.severity === 'critical' || f.severity === 'high' ? c('31', f.severity) : f.severity === 'medium' ? c('33', f.severity) : c('2', f.severity);
      const loc = f.line !== undefined ? `${f.line}:${f.column}` : f.kind;
      const detail = f.kind === 'content' ? `  ${c('2', f.secret ?? '')}` : f.kind === 'size' && f.size !== undefined ? `  ${c('2', formatBytes(f.size))}` : '';
      const commit = f.commit ? c('2', ` @${f.commit.slice(0, 12)}`) : '';
      lines.push(`  ${loc.padEnd(9)} ${sev.padEnd(opts.color ? 17 : 8)} ${f.description}${detail}  ${c('2', f.ruleId)}${commit}`);
    }
    lines.push('');
  }
  const s = report.stats;
  const n = report.findings.length;
  if (!opts.quiet || n > 0) {
    const what = report.target.mode === 'staged' ? 'staged files' : report.target.mode === 'worktree' ? 'files' : 'blobs';
    const head = n === 0
      ? c('32', `No findings`)
      : c('31', `${n} finding${n === 1 ? '' : 's'}`) + ` in ${byPath.size} file${byPath.size === 1 ? '' : 's'}`;
    lines.push(`${head} — ${s.files} ${what}, ${formatBytes(s.bytesScanned)} of content, ${s.rules} rules, ${s.durationMs} ms`);
    const skipped = Object.entries(s.skipped) as [SkipReason, number][];
    if (skipped.length) {
      const parts = skipped.map(([r, k]) => `${k} ${SKIP_WORDS[r]}`);
      lines.push(c('2', `Content not scanned (path and size rules still applied): ${parts.join(', ')}`));
    }
    const sup = s.suppressed;
    if (sup.allowlist + sup.inline + sup.baseline > 0) {
      lines.push(c('2', `Suppressed: ${sup.baseline} by baseline, ${sup.allowlist} by allowlist, ${sup.inline} by leakguard:allow comments`));
    }
    if (n > 0) {
      lines.push(c('2', `To accept a finding: add 'leakguard:allow' in a comment on its line, an allowlist entry in .leakguard.yml, or record it with 'leakguard baseline' and scan with --baseline.`));
      if (report.redacted) lines.push(c('2', 'Secrets are redacted; --no-redact shows them.'));
    }
  }
  for (const w of s.warnings) lines.push(c('33', `warning: ${w}`));
  return lines.length ? `${lines.join('\n')}\n` : '';
}

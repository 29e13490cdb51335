/** Human output: findings grouped by file, colour only on a TTY, and how to accept a finding. */
import type { Finding, ScanReport, SkipReason } from '../types.js';
import { formatBytes } from '../engine/units.js';

export interface TextOptions {
  color: boolean;
  quiet: boolean;
}

const SKIP_WORDS: Record<SkipReason, string> = {
  binary: 'binary',
  'too-large': 'larger than the content limit',
  submodule: 'submodule (not entered)',
  missing: 'missing on disk',
  unreadable: 'unreadable',
  timeout: 'rule timed out',
  allowlisted: 'allowlisted by path',
};

/** Paths may hold newlines or control characters; show them escaped so one finding stays one line. */
export function displayPath(p: string): string {
  return /[\x00-\x1f\x7f"]/.test(p) ? JSON.stringify(p) : p;
}

/** Where a history finding came from: first commit, how often it recurs, which refs still reach it. */
function provenance(f: Finding): string {
  const who = (f.author ?? '?').replace(/\s*<[^>]*>$/, '');
  const parts = [
    `first in ${f.commit!.slice(0, 12)} (${(f.date ?? '').slice(0, 10)}, ${who}) "${(f.subject ?? '').slice(0, 60)}"`,
  ];
  if (f.source === 'tag-message' && f.ref) parts.unshift(`message of ${f.ref.replace(/^refs\/tags\//, 'tag ')}`);
  if (f.source === 'note' && f.ref) parts.unshift(`note in ${f.ref}`);
  const n = f.occurrences?.length ?? 0;
  if (n > 1) {
    const paths = new Set(f.occurrences!.map((o) => o.path)).size;
    parts.push(`${n} occurrences${paths > 1 ? ` in ${paths} paths` : ''}`);
  }
  if (f.refs?.length) {
    const shown = f.refs
      .slice(0, 3)
      .map((r) =>
        r.replace(/^refs\/(heads|tags|remotes)\//, (_m, k: string) =>
          k === 'tags' ? 'tag ' : k === 'remotes' ? 'remote ' : '',
        ),
      )
      .join(', ');
    const more = (f.refsTotal ?? f.refs.length) - 3;
    parts.push(`reachable from ${shown}${more > 0 ? ` and ${more} more` : ''}`);
  } else if (f.occurrences?.length) parts.push('no ref reaches it');
  if (f.lfs) parts.push('Git LFS pointer: the object itself is in LFS storage and was not scanned');
  return parts.join(' · ');
}

/** The other places a work-tree or index finding's secret sits (the same secret is one finding). */
function elsewhere(f: Finding): string {
  const others = [...new Set(f.occurrences!.map((o) => o.path))].filter((p) => p !== f.path);
  if (!others.length) return `${f.occurrences!.length} occurrences in this file`;
  const shown = others.slice(0, 3).map(displayPath).join(', ');
  return `also at ${shown}${others.length > 3 ? ` and ${others.length - 3} more` : ''}`;
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
      const sev =
        f.severity === 'critical' || f.severity === 'high'
          ? c('31', f.severity)
          : f.severity === 'medium'
            ? c('33', f.severity)
            : c('2', f.severity);
      const loc = f.line !== undefined ? `${f.line}:${f.column}` : f.kind;
      const detail =
        f.kind === 'content'
          ? `  ${c('2', f.secret ?? '')}`
          : f.kind === 'size' && f.size !== undefined
            ? `  ${c('2', formatBytes(f.size))}`
            : '';
      lines.push(
        `  ${loc.padEnd(9)} ${sev.padEnd(opts.color ? 17 : 8)} ${f.description}${detail}  ${c('2', f.confidence ? `${f.ruleId} (${f.confidence} confidence)` : f.ruleId)}`,
      );
      if (f.commit) lines.push(c('2', `            ${provenance(f)}`));
      else if (f.occurrences && f.occurrences.length > 1) lines.push(c('2', `            ${elsewhere(f)}`));
    }
    lines.push('');
  }
  const s = report.stats;
  const n = report.findings.length;
  if (!opts.quiet || n > 0) {
    const plural = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
    const what =
      report.target.mode === 'staged'
        ? plural(s.files, 'staged file')
        : report.target.mode === 'worktree'
          ? plural(s.files, 'file')
          : `${plural(s.commits ?? 0, 'commit')}, ${plural(s.blobs ?? 0, 'blob')}`;
    const head =
      n === 0 ? c('32', `No findings`) : c('31', plural(n, 'finding')) + ` in ${plural(byPath.size, 'file')}`;
    lines.push(`${head} — ${what}, ${formatBytes(s.bytesScanned)} of content, ${s.rules} rules, ${s.durationMs} ms`);
    const skipped = Object.entries(s.skipped) as [SkipReason, number][];
    if (skipped.length) {
      const parts = skipped.map(([r, k]) => `${k} ${SKIP_WORDS[r]}`);
      lines.push(c('2', `Content not scanned (path and size rules still applied): ${parts.join(', ')}`));
    }
    const sup = s.suppressed;
    if (sup.allowlist + sup.inline + sup.baseline > 0) {
      lines.push(
        c(
          '2',
          `Suppressed: ${sup.baseline} by baseline, ${sup.allowlist} by allowlist, ${sup.inline} by leakguard:allow comments`,
        ),
      );
    }
    if (n > 0) {
      lines.push(
        c(
          '2',
          `To accept a finding: add 'leakguard:allow' in a comment on its line, an allowlist entry in .leakguard.yml, or record it with 'leakguard baseline' and scan with --baseline.`,
        ),
      );
      if (report.redacted) lines.push(c('2', 'Secrets are redacted; --no-redact shows them.'));
    }
  }
  for (const w of s.warnings) lines.push(c('33', `warning: ${w}`));
  return lines.length ? `${lines.join('\n')}\n` : '';
}

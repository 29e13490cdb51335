/**
 * GitLab's secret-detection report (security report schema 15.x), for `artifacts: reports:
 * secret_detection`. One vulnerability per finding, located at the commit that introduced it
 * (history and range scans) or the commit being checked (work tree and staged scans). The secret
 * itself is never in the report: no raw source extract, only the redacted form in the name.
 */
import type { Finding, ScanReport, Severity } from '../types.js';
import type { CompiledRule } from '../engine/compile.js';
import { sha256Hex } from '../engine/fingerprint.js';
import type { Extents } from './extent.js';

export const GITLAB_SCHEMA_VERSION = '15.0.7';

const SEVERITY: Record<Severity, 'Critical' | 'High' | 'Medium' | 'Low' | 'Info'> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  info: 'Info',
};

/** GitLab wants yyyy-mm-ddThh:mm:ss in UTC, without zone or fraction. */
const gitlabTime = (ms: number) => new Date(ms).toISOString().slice(0, 19);

/** A UUID-shaped id that stays the same for the same finding at the same commit, so GitLab tracks it across pipelines. */
function stableId(f: Finding, commit: string): string {
  const h = sha256Hex(`${f.fingerprint}\0${commit}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface GitlabOptions {
  /** The commit work-tree and staged findings are reported against (CI_COMMIT_SHA, or HEAD). */
  headCommit?: string;
  /** When the scan ended; defaults to now. */
  endedAt?: number;
  extents?: Extents;
}

export function formatGitlab(
  report: ScanReport,
  rules: CompiledRule[],
  version: string,
  opts: GitlabOptions = {},
): string {
  const ended = opts.endedAt ?? Date.now();
  const tool = { id: 'leakguard', name: 'leakguard', version, vendor: { name: 'leakguard' } };
  const rotate = new Map(rules.map((r) => [r.id, r.spec.rotate]));
  const vulnerabilities = report.findings.map((f, i) => {
    const sha = f.commit ?? opts.headCommit ?? '0000000';
    const end = opts.extents?.[i];
    const what = f.kind === 'content' ? `${f.description} (${f.secret ?? ''})` : f.description;
    return {
      id: stableId(f, sha),
      name: what.slice(0, 255),
      description: [
        `${f.description} in ${f.path}.`,
        rotate.get(f.ruleId),
        'Remove it from the repository and rotate the credential.',
      ]
        .filter(Boolean)
        .join(' '),
      severity: SEVERITY[f.severity],
      identifiers: [{ type: 'leakguard_rule_id', name: `leakguard rule ${f.ruleId}`, value: f.ruleId }],
      location: {
        file: f.path,
        ...(f.line !== undefined ? { start_line: f.line, end_line: end?.endLine ?? f.line } : {}),
        commit: {
          sha,
          ...(f.author ? { author: f.author } : {}),
          ...(f.date ? { date: f.date } : {}),
          ...(f.subject ? { message: f.subject } : {}),
        },
      },
    };
  });
  const doc = {
    version: GITLAB_SCHEMA_VERSION,
    scan: {
      analyzer: tool,
      scanner: tool,
      type: 'secret_detection',
      start_time: gitlabTime(ended - report.stats.durationMs),
      end_time: gitlabTime(ended),
      status: 'success',
    },
    vulnerabilities,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** SARIF 2.1.0 as GitHub code scanning accepts it: rules, locations, partialFingerprints. */
import type { Confidence, Finding, ScanReport, Severity } from '../types.js';
import type { CompiledRule } from '../engine/compile.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note',
};
/** GitHub ranks security alerts by this number (0-10). */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '1.0',
};

/** GitHub's rule `precision` property says how often a rule's alerts are real. */
const PRECISION: Record<Confidence, string> = { high: 'high', medium: 'medium', low: 'low' };
/** SARIF `rank` (0-100, higher first): confidence orders results within a level. */
const RANK: Record<Confidence, number> = { high: 90, medium: 60, low: 30 };

/**
 * A result's level: its severity's, except that a low-confidence finding (a guess from a variable
 * name) is never an `error`, so code scanning does not fail a check on a guess alone.
 */
function levelOf(severity: Severity, confidence: Confidence | undefined): 'error' | 'warning' | 'note' {
  const level = LEVEL[severity];
  return confidence === 'low' && level === 'error' ? 'warning' : level;
}

/** Relative URI with every segment percent-encoded (spaces, `#`, `%`, non-ASCII, newlines). */
export function pathToUri(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function message(f: Finding): string {
  const where = f.kind === 'content' ? ` (${f.secret ?? ''})` : f.kind === 'size' && f.size !== undefined ? ` (${f.size} bytes)` : '';
  return `${f.description}${where}`;
}

export function formatSarif(report: ScanReport, rules: CompiledRule[], version: string): string {
  const used = new Map<string, number>();
  const ruleList = rules.filter((r) => report.findings.some((f) => f.ruleId === r.id));
  ruleList.forEach((r, i) => used.set(r.id, i));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'leakguard',
          version,
          semanticVersion: version,
          informationUri: 'https://www.npmjs.com/package/leakguard',
          rules: ruleList.map((r) => ({
            id: r.id,
            name: r.id.replace(/(^|[-_.])([a-z0-9])/g, (_m, _s, c: string) => c.toUpperCase()),
            shortDescription: { text: r.description },
            fullDescription: { text: r.spec.rotate ? `${r.description}. ${r.spec.rotate}` : r.description },
            help: { text: `${r.description}. Remove it from the repository and rotate the credential; to accept it, add 'leakguard:allow' on the line, an allowlist entry in .leakguard.yml, or a baseline (leakguard baseline).` },
            defaultConfiguration: { level: levelOf(r.severity, r.confidence) },
            properties: {
              tags: ['security', 'secret', r.kind, ...(r.spec.tags ?? [])], 'security-severity': SECURITY_SEVERITY[r.severity],
              precision: PRECISION[r.confidence], confidence: r.confidence,
            },
          })),
        },
      },
      originalUriBaseIds: report.target.root ? { SRCROOT: { uri: `file://${pathToUri(report.target.root.replace(/\/?$/, '/'))}` } } : undefined,
      results: report.findings.map((f) => ({
        ruleId: f.ruleId,
        ruleIndex: used.get(f.ruleId),
        level: levelOf(f.severity, f.confidence),
        ...(f.confidence ? { rank: RANK[f.confidence] } : {}),
        message: { text: message(f) },
        locations: [{
          physicalLocation: {
            artifactLocation: { uri: pathToUri(f.path), uriBaseId: 'SRCROOT' },
            region: { startLine: f.line ?? 1, startColumn: f.column ?? 1 },
          },
        }],
        partialFingerprints: { 'leakguardFingerprint/v1': f.fingerprint },
        properties: { kind: f.kind, ...(f.confidence ? { confidence: f.confidence } : {}), ...(f.commit ? { commit: f.commit } : {}) },
      })),
      columnKind: 'unicodeCodePoints',
    }],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

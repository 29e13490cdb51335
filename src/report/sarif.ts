/** SARIF 2.1.0 as GitHub code scanning accepts it: rules, locations, partialFingerprints. */
import type { Finding, ScanReport, Severity } from '../types.js';
import type { CompiledRule } from '../engine/compile.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note',
};
/** GitHub ranks security alerts by this number (0-10). */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '1.0',
};

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
            defaultConfiguration: { level: LEVEL[r.severity] },
            properties: { tags: ['security', 'secret', r.kind, ...(r.spec.tags ?? [])], 'security-severity': SECURITY_SEVERITY[r.severity], precision: 'high' },
          })),
        },
      },
      originalUriBaseIds: report.target.root ? { SRCROOT: { uri: `file://${pathToUri(report.target.root.replace(/\/?$/, '/'))}` } } : undefined,
      results: report.findings.map((f) => ({
        ruleId: f.ruleId,
        ruleIndex: used.get(f.ruleId),
        level: LEVEL[f.severity],
        message: { text: message(f) },
        locations: [{
          physicalLocation: {
            artifactLocation: { uri: pathToUri(f.path), uriBaseId: 'SRCROOT' },
            region: { startLine: f.line ?? 1, startColumn: f.column ?? 1 },
          },
        }],
        partialFingerprints: { 'leakguardFingerprint/v1': f.fingerprint },
        properties: { kind: f.kind, ...(f.commit ? { commit: f.commit } : {}) },
      })),
      columnKind: 'unicodeCodePoints',
    }],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

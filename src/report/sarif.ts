/** SARIF 2.1.0 as GitHub code scanning accepts it: rules, locations, partialFingerprints. */
import { ARCHIVE_INCOMPLETE, archiveIncompleteRule } from '../engine/archive-scan.js';
import type { Confidence, Finding, ScanReport, Severity } from '../types.js';
import type { CompiledRule } from '../engine/compile.js';
import type { Extent, Extents } from './extent.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};
/** GitHub ranks security alerts by this number (0-10). */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '1.0',
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
  const where =
    f.kind === 'content'
      ? ` (${f.secret ?? ''})`
      : f.kind === 'size' && f.size !== undefined
        ? ` (${f.size} bytes)`
        : '';
  return `${f.description}${where}`;
}

/** GitHub keeps at most this many locations of one result. */
const MAX_LOCATIONS = 1000;

/**
 * The finding's own place first (with its region: content findings from the secret's first to
 * last character, path and size findings the whole file), then every other history occurrence.
 */
function locations(f: Finding, end: Extent | undefined) {
  const region =
    f.line !== undefined
      ? {
          startLine: f.line,
          startColumn: f.column ?? 1,
          ...(end ? { endLine: end.endLine, endColumn: end.endColumn } : {}),
        }
      : undefined;
  const at = (path: string, commit: string | undefined, withRegion: boolean) => ({
    physicalLocation: {
      artifactLocation: { uri: pathToUri(path), uriBaseId: 'SRCROOT' },
      ...(withRegion && region ? { region } : {}),
    },
    ...(commit ? { properties: { commit } } : {}),
  });
  const out = [at(f.path, f.commit, true)];
  const seen = new Set([`${f.commit ?? ''}\0${f.path}`]);
  for (const o of f.occurrences ?? []) {
    const key = `${o.commit ?? ''}\0${o.path}`;
    if (seen.has(key) || out.length >= MAX_LOCATIONS) continue;
    seen.add(key);
    // a region belongs to the blob it was found in; other versions may hold the secret elsewhere
    out.push(at(o.path, o.commit, o.blobId === f.blobId));
  }
  return out;
}

/** The whole log as one string, for callers that hold it anyway (small reports). */
export function formatSarif(report: ScanReport, rules: CompiledRule[], version: string, extents?: Extents): string {
  return [...sarifChunks(report, rules, version, extents)].join('');
}

/** Where the results go in the log's text: a string JSON writes as itself, and no finding can produce. */
const RESULTS_SLOT = '\u0000results\u0000';

/**
 * The log as a sequence of pieces, one per result, so a log of a million findings never has to be
 * one string or one object tree (V8 caps a string at 512 MB). The pieces join to exactly what
 * `JSON.stringify(log, null, 2)` would write.
 */
export function* sarifChunks(
  report: ScanReport,
  rules: CompiledRule[],
  version: string,
  extents?: Extents,
): Generator<string> {
  const used = new Map<string, number>();
  const present = new Set(report.findings.map((f) => f.ruleId));
  const ruleList = rules.filter((r) => present.has(r.id));
  // the engine's own rule for archives it could not read fully is in no rule file
  if (present.has(ARCHIVE_INCOMPLETE) && !ruleList.some((r) => r.id === ARCHIVE_INCOMPLETE))
    ruleList.push(archiveIncompleteRule());
  ruleList.forEach((r, i) => used.set(r.id, i));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
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
              help: {
                text: `${r.description}. Remove it from the repository and rotate the credential; to accept it, add 'leakguard:allow' on the line, an allowlist entry in .leakguard.yml, or a baseline (leakguard baseline).`,
              },
              defaultConfiguration: { level: levelOf(r.severity, r.confidence) },
              properties: {
                tags: ['security', 'secret', r.kind, ...(r.spec.tags ?? [])],
                'security-severity': SECURITY_SEVERITY[r.severity],
                precision: PRECISION[r.confidence],
                confidence: r.confidence,
              },
            })),
          },
        },
        originalUriBaseIds: report.target.root
          ? { SRCROOT: { uri: `file://${pathToUri(report.target.root.replace(/\/?$/, '/'))}` } }
          : undefined,
        results: RESULTS_SLOT,
        columnKind: 'unicodeCodePoints',
      },
    ],
  };
  const text = `${JSON.stringify(sarif, null, 2)}\n`;
  const slot = text.indexOf(JSON.stringify(RESULTS_SLOT));
  yield text.slice(0, slot);
  // results sit at depth 4 of the log: `runs`, its run, `results`
  const indent = '\n        ';
  let i = 0;
  for (const f of report.findings) {
    const piece = JSON.stringify(result(f, i, used, extents), null, 2).replace(/\n/g, indent);
    yield `${i ? ',' : '['}${indent}${piece}`;
    i++;
  }
  yield `${i ? '\n      ]' : '[]'}${text.slice(slot + JSON.stringify(RESULTS_SLOT).length)}`;
}

function result(f: Finding, i: number, used: Map<string, number>, extents: Extents | undefined) {
  return {
    ruleId: f.ruleId,
    ruleIndex: used.get(f.ruleId),
    level: levelOf(f.severity, f.confidence),
    ...(f.confidence ? { rank: RANK[f.confidence] } : {}),
    message: { text: message(f) },
    locations: locations(f, extents?.[i]),
    // Identity without GitHub's line hash: the upload step computes one only from files in the
    // checkout, so a history finding in a deleted file would get a different one on every run
    // and raise a new alert. This value (rule, path, secret hash) is the same wherever it is seen.
    partialFingerprints: { primaryLocationLineHash: f.fingerprint, 'leakguardFingerprint/v1': f.fingerprint },
    properties: {
      kind: f.kind,
      ...(f.confidence ? { confidence: f.confidence } : {}),
      ...(f.commit ? { commit: f.commit } : {}),
      ...(f.occurrences?.length ? { occurrences: f.occurrences.length } : {}),
    },
  };
}

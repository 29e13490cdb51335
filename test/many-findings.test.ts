/**
 * Many findings in bounded memory: the blob scanner hands its matches over in columns and settles
 * the overlaps no place can change, cuts long texts without blank lines, the findings stage keeps
 * content findings as rows, redaction looks for secrets only in the few texts that could hold
 * them, and JSON and SARIF are written piece by piece. Each must give exactly what the plain way
 * gives.
 */
import { describe, expect, it } from 'vitest';
import { BlobScanner, matchCount, matchesOf } from '../src/engine/blob-scan.js';
import { compileRuleset } from '../src/engine/compile.js';
import { FindingsStage, type Place } from '../src/engine/findings.js';
import { loadDefaultRules } from '../src/engine/rule-pack.js';
import { newStats } from '../src/engine/scan.js';
import { base62, crc32 } from '../src/engine/validators.js';
import { formatSarif } from '../src/report/sarif.js';
import type { Finding, ScanReport } from '../src/types.js';
import { cli, cliJson, fake, Repo } from './helpers.js';

// two rules of our own on top of the pack: a path-scoped one that outranks an unscoped one on the
// same text, so where it applies it wins, and elsewhere the unscoped one must still report
const ruleset = compileRuleset([
  ...(await loadDefaultRules()),
  {
    id: 'acme-deploy-key',
    description: 'ACME deploy key in a deploy file',
    severity: 'high',
    priority: 5,
    paths: ['**/*.deploy'],
    regex: '\\b(acme_[a-z0-9]{16})\\b',
    keywords: ['acme_'],
  },
  {
    id: 'acme-token',
    description: 'ACME token',
    severity: 'high',
    regex: '\\b(acme_[a-z0-9]{16})\\b',
    keywords: ['acme_'],
  },
]);

/** Distinct fake GitHub tokens: `ghp_`, 30 random characters and their checksum, as GitHub makes them. */
function tokens(n: number, seed = 1): string[] {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = seed;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) % abc.length;
  return Array.from({ length: n }, () => {
    const body = Array.from({ length: 30 }, () => abc[next()]).join('');
    return 'ghp' + '_' + body + base62(crc32(Buffer.from(body, 'latin1')), 6);
  });
}

/** What the stage makes of a blob's matches at these places. */
async function stageFindings(
  matches: ReturnType<typeof matchesOf>,
  places: Place[],
  otherSecrets?: string[],
): Promise<{ findings: string[]; secrets: string[] }> {
  const stage = new FindingsStage(ruleset);
  stage.addMatches(matches, places, otherSecrets);
  const findings = await stage.finish(newStats(ruleset.rules.length));
  return {
    findings: findings.map((f) => `${f.ruleId} ${f.path}:${f.line}:${f.column} ${f.secret}`),
    secrets: [...stage.secrets].sort(),
  };
}

describe('the blob scanner on texts with many matches', () => {
  // lines that several rules see at once: a token (vendor, generic, and at .env.test the env-file
  // rule), a value only the env-file rule and the generic rule see, and an npm token in an .npmrc line
  const [pat, other] = tokens(2);
  const lines = [
    `token = "${pat}"`,
    `API_SECRET=${'Qx7Lm2Vb9R' + 't4Kw8Zp3Nc6Hd'}`, // built at run time: the repository's own scan stays clean
    `//registry.npmjs.org/:_authToken=npm_${'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'}`,
    `export GITHUB_TOKEN=${other}`,
    'deploy with acme_0123456789abcdef',
  ];
  const filler = Array.from({ length: 400 }, (_, i) => `line ${i} of ordinary text`).join('\n');
  const text = Buffer.from(`${filler}\n${lines.join('\n')}\n${filler}\n`);
  const places = (paths: string[]): Place[] => paths.map((path) => ({ commit: -1, path, blob: 'b1' }));

  it('settles in the scanner only what no place can change: every path gets the plain result', async () => {
    const chunked = new BlobScanner(ruleset).scan('b1', text, 'any');
    const plain = new BlobScanner(ruleset, 2000, false).scan('b1', text);
    // the chunked result was settled (fewer candidates travel), the plain one not
    expect(matchCount(chunked)).toBeLessThan(matchCount(plain));
    for (const path of ['.env.test', 'config/app.txt', '.npmrc', 'a/b/.env.development', 'prod.deploy']) {
      const got = await stageFindings(matchesOf(chunked), places([path]), chunked.packed?.otherSecrets);
      const want = await stageFindings(matchesOf(plain), places([path]));
      expect(got, path).toEqual(want);
      expect(got.findings.length, path).toBeGreaterThan(0);
    }
    // and several places at once, scoped and not
    const all = ['.env.test', 'config/app.txt', '.npmrc', 'prod.deploy'];
    expect(await stageFindings(matchesOf(chunked), places(all), chunked.packed?.otherSecrets)).toEqual(
      await stageFindings(matchesOf(plain), places(all)),
    );
  });

  it('cuts a long text without blank lines at line ends, and every match keeps its line and column', () => {
    const many = tokens(12_000, 7);
    // about 600 kB without a blank line, so the scanner cuts it twice, never inside a line
    const body = many.map((t, i) => `${'x'.repeat(i % 7)}key_${i} = "${t}"`).join('\n');
    const buf = Buffer.from(`${body}\n`);
    const chunked = new BlobScanner(ruleset).scan('big', buf, 'dump.txt');
    const plain = new BlobScanner(ruleset, 2000, false).scan('big', buf);
    const key = (ms: ReturnType<typeof matchesOf>) =>
      ms
        .filter((m) => m.ruleId === 'github-pat')
        .map((m) => `${m.line}:${m.column}:${m.secret}`)
        .sort();
    expect(key(matchesOf(chunked))).toEqual(key(matchesOf(plain)));
    expect(key(matchesOf(chunked))).toHaveLength(many.length);
  });
});

describe('reports of many findings', () => {
  it('SARIF written in pieces is exactly the log JSON.stringify writes', () => {
    const finding = (i: number): Finding => ({
      ruleId: i % 2 ? 'github-pat' : 'generic-secret-assignment',
      kind: 'content',
      path: `dir ${i}/file.env`,
      line: i + 1,
      column: 3,
      secret: 'ghp_********',
      fingerprint: `fp${i}`,
      description: 'a token',
      severity: 'critical',
      confidence: i % 2 ? 'high' : 'low',
      commit: 'c'.repeat(40),
      occurrences: [
        { commit: 'c'.repeat(40), path: `dir ${i}/file.env`, fingerprint: `fp${i}` },
        { commit: 'd'.repeat(40), path: 'copy.env', fingerprint: `fq${i}` },
      ],
    });
    for (const n of [0, 1, 3]) {
      const report: ScanReport = {
        findings: Array.from({ length: n }, (_, i) => finding(i)),
        stats: newStats(ruleset.rules.length),
        target: { mode: 'history', root: '/repo' },
        redacted: true,
      };
      const text = formatSarif(report, ruleset.rules, '1.2.3');
      expect(text, `${n} findings`).toBe(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
      expect(JSON.parse(text).runs[0].results).toHaveLength(n);
    }
  });

  it('a history of thousands of findings gives complete JSON and SARIF reports, every secret redacted everywhere', () => {
    const many = tokens(3000, 11);
    const r = Repo.init();
    r.write('dump.env', `${many.map((t, i) => `token_${i} = "${t}"`).join('\n')}\n`)
      .add()
      .commit('dump');
    // a subject that carries one of the thousands, on a commit that introduces a finding of its
    // own (so the subject is printed with it): redaction must find it among all of them
    r.write('notes.txt', `aws_access_key_id = ${fake.awsKeyId()}\n`).add().commit(`rotate ${many[1234]}`);
    const json = cliJson(['scan', '--history', '--quiet'], r.dir);
    expect(json.code).toBe(1);
    expect(json.report.findings).toHaveLength(3001); // the token in the subject is one of the 3000
    const text = JSON.stringify(json.report);
    expect(text).not.toContain(many[1234]);
    expect(text).not.toContain(many[0]);
    const subjects = json.report.findings.map((f: Finding) => f.subject).filter((s: unknown) => s !== undefined);
    expect(subjects).toContain(`rotate ${many[1234]!.slice(0, 4)}********`);
    const sarif = cli(['scan', '--history', '--quiet', '--format', 'sarif'], r.dir);
    expect(sarif.code).toBe(1);
    const log = JSON.parse(sarif.stdout);
    expect(log.runs[0].results).toHaveLength(3001);
    expect(sarif.stdout).not.toContain(many[1234]);
  });
});

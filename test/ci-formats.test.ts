/** CI report formats: GitLab's secret-detection report (schema 15.x) and SARIF for GitHub code scanning. */
import { describe, expect, it } from 'vitest';
import { cli, fake, Repo } from './helpers.js';

/**
 * The parts of GitLab's security report schema 15.x that a secret-detection report must satisfy,
 * written out as checks: required keys, their types, enums and formats. Returns the problems.
 */
function gitlabSchemaProblems(doc: any): string[] {
  const p: string[] = [];
  const str = (v: unknown, where: string, min = 1) => {
    if (typeof v !== 'string' || v.length < min)
      p.push(`${where}: a string of at least ${min} character(s) is required`);
  };
  str(doc?.version, 'version');
  if (!/^15\.\d+\.\d+$/.test(doc?.version ?? '')) p.push('version: not a 15.x schema version');
  const scan = doc?.scan;
  if (!scan || typeof scan !== 'object') p.push('scan: required');
  else {
    for (const k of ['analyzer', 'scanner'] as const) {
      const t = scan[k];
      if (!t) {
        p.push(`scan.${k}: required`);
        continue;
      }
      str(t.id, `scan.${k}.id`);
      str(t.name, `scan.${k}.name`);
      str(t.version, `scan.${k}.version`);
      str(t.vendor?.name, `scan.${k}.vendor.name`);
    }
    if (scan.type !== 'secret_detection') p.push('scan.type: must be secret_detection');
    for (const k of ['start_time', 'end_time'])
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(scan[k] ?? ''))
        p.push(`scan.${k}: must be yyyy-mm-ddThh:mm:ss`);
    if (!['success', 'failure'].includes(scan.status)) p.push('scan.status: must be success or failure');
  }
  if (!Array.isArray(doc?.vulnerabilities)) {
    p.push('vulnerabilities: an array is required');
    return p;
  }
  doc.vulnerabilities.forEach((v: any, i: number) => {
    const at = `vulnerabilities[${i}]`;
    str(v.id, `${at}.id`);
    if (v.name !== undefined && (typeof v.name !== 'string' || v.name.length > 255))
      p.push(`${at}.name: at most 255 characters`);
    if (v.severity !== undefined && !['Info', 'Unknown', 'Low', 'Medium', 'High', 'Critical'].includes(v.severity))
      p.push(`${at}.severity: not a GitLab severity`);
    if (!Array.isArray(v.identifiers) || v.identifiers.length < 1 || v.identifiers.length > 20)
      p.push(`${at}.identifiers: 1 to 20 required`);
    for (const id of v.identifiers ?? []) {
      str(id.type, `${at}.identifiers.type`);
      str(id.name, `${at}.identifiers.name`);
      str(id.value, `${at}.identifiers.value`);
    }
    if (!v.location || typeof v.location !== 'object') p.push(`${at}.location: required`);
    else {
      str(v.location.commit?.sha, `${at}.location.commit.sha`);
      if (v.location.start_line !== undefined && !Number.isInteger(v.location.start_line))
        p.push(`${at}.location.start_line: an integer`);
      if (v.location.end_line !== undefined && v.location.end_line < v.location.start_line)
        p.push(`${at}.location.end_line: before start_line`);
    }
  });
  if (new Set(doc.vulnerabilities.map((v: any) => v.id)).size !== doc.vulnerabilities.length)
    p.push('vulnerabilities: ids must be unique');
  return p;
}

function historyRepo(): Repo {
  const r = Repo.init();
  r.write('src/config.js', `// config\nexport const key = "${fake.googleKey()}";\n`)
    .write('.env', 'A=1\n')
    .add()
    .commit('leak');
  r.write('src/copy.js', `const k = "${fake.googleKey()}";\n`).add().commit('copy');
  r.git('rm', '-q', 'src/config.js');
  r.commit('delete it');
  return r;
}

describe('--format gitlab', () => {
  it('a history report satisfies the 15.x schema, points at the introducing commits and holds no secret', () => {
    const r = historyRepo();
    const res = cli(['scan', '--history', '--format', 'gitlab'], r.dir);
    expect(res.code).toBe(1);
    const doc = JSON.parse(res.stdout);
    expect(gitlabSchemaProblems(doc)).toEqual([]);
    expect(doc.vulnerabilities.length).toBeGreaterThanOrEqual(2);
    const leakCommit = r.git('rev-list', '--max-count=1', 'HEAD~2').trim();
    const key = doc.vulnerabilities.find((v: any) => v.identifiers[0].value === 'google-api-key');
    expect(key.location).toMatchObject({
      file: 'src/config.js',
      start_line: 2,
      end_line: 2,
      commit: { sha: leakCommit, message: 'leak' },
    });
    expect(key.severity).toBe('High');
    expect(res.stdout).not.toContain(fake.googleKey());
    // the same scan again gives the same ids (GitLab tracks vulnerabilities by them)
    const again = JSON.parse(cli(['scan', '--history', '--format', 'gitlab'], r.dir).stdout);
    expect(again.vulnerabilities.map((v: any) => v.id)).toEqual(doc.vulnerabilities.map((v: any) => v.id));
  });

  it('a work-tree report is located at HEAD (or CI_COMMIT_SHA); an empty one is still a valid report', () => {
    const r = Repo.init();
    r.write('README.md', 'hi\n').add().commit();
    const clean = cli(['scan', '--format', 'gitlab'], r.dir);
    expect(clean.code).toBe(0);
    const empty = JSON.parse(clean.stdout);
    expect(gitlabSchemaProblems(empty)).toEqual([]);
    expect(empty.vulnerabilities).toEqual([]);
    r.write('app.js', `k = "${fake.githubPat()}"\n`);
    const doc = JSON.parse(cli(['scan', '--format', 'gitlab'], r.dir).stdout);
    expect(gitlabSchemaProblems(doc)).toEqual([]);
    expect(doc.vulnerabilities[0].location.commit.sha).toBe(r.git('rev-parse', 'HEAD').trim());
  });

  it('the schema check itself rejects what GitLab would reject', () => {
    expect(
      gitlabSchemaProblems({
        version: '14.1.0',
        scan: {},
        vulnerabilities: [{ id: '', identifiers: [], location: {} }],
      }).length,
    ).toBeGreaterThan(5);
  });
});

describe('--format sarif', () => {
  it('regions end where the secret ends, results carry their own line-hash-free fingerprint, and every history occurrence is a location', () => {
    const r = historyRepo();
    const res = cli(['scan', '--history', '--format', 'sarif'], r.dir);
    expect(res.stdout).not.toContain(fake.googleKey());
    const sarif = JSON.parse(res.stdout);
    const results = sarif.runs[0].results;
    const key = results.find((x: any) => x.ruleId === 'google-api-key');
    const region = key.locations[0].physicalLocation.region;
    const col = 'export const key = "'.length + 1;
    expect(region).toEqual({ startLine: 2, startColumn: col, endLine: 2, endColumn: col + fake.googleKey().length });
    expect(key.partialFingerprints.primaryLocationLineHash).toMatch(/^[0-9a-f]{32}$/);
    // the deleted file and the copy: one result per path, each occurrence a location
    const uris = key.locations.map((l: any) => l.physicalLocation.artifactLocation.uri);
    expect(uris[0]).toBe('src/config.js');
    expect(
      new Set(
        results
          .filter((x: any) => x.ruleId === 'google-api-key')
          .flatMap((x: any) => x.locations.map((l: any) => l.physicalLocation.artifactLocation.uri)),
      ),
    ).toEqual(new Set(['src/config.js', 'src/copy.js']));
    // a path finding covers the whole file: no region
    const env = results.find((x: any) => x.ruleId !== 'google-api-key');
    expect(env.locations[0].physicalLocation.region).toBeUndefined();
    // the fingerprint does not move when the secret moves to another line
    r.write('src/copy.js', `\n\n// moved\nconst k = "${fake.googleKey()}";\n`).add().commit('move');
    const moved = JSON.parse(cli(['scan', '--range', 'HEAD~1..HEAD', '--format', 'sarif'], r.dir).stdout).runs[0]
      .results[0];
    const before = JSON.parse(cli(['scan', '--range', 'HEAD~3..HEAD~2', '--format', 'sarif'], r.dir).stdout).runs[0]
      .results[0];
    expect(before.locations[0].physicalLocation.region.startLine).toBe(1);
    expect(moved.locations[0].physicalLocation.region.startLine).toBe(4);
    expect(moved.partialFingerprints.primaryLocationLineHash).toBe(before.partialFingerprints.primaryLocationLineHash);
  });

  it('a secret over several lines ends on its last line', () => {
    const r = Repo.init();
    const pem = [
      '-----BEGIN RSA PRIVATE KEY-----',
      ...Array.from({ length: 4 }, (_, i) => `MIIEowIBAAKCAQEA${'x7Qa9LmZ'.repeat(6)}${i}`),
      '-----END RSA PRIVATE KEY-----',
    ].join('\n');
    r.write('deploy/key.txt', `key:\n${pem}\n`);
    const sarif = JSON.parse(cli(['scan', '--format', 'sarif'], r.dir).stdout);
    const pk = sarif.runs[0].results.find((x: any) => x.locations[0].physicalLocation.region?.startLine === 2);
    expect(pk, JSON.stringify(sarif.runs[0].results.map((x: any) => x.ruleId))).toBeDefined();
    const region = pk.locations[0].physicalLocation.region;
    expect(region.endLine).toBeGreaterThan(region.startLine);
    expect(JSON.stringify(sarif)).not.toContain('MIIEowIBAAKCAQEA');
  });
});

/**
 * Secrets inside committed archives: real archives made by real tools (git archive, tar, gzip,
 * Java's jar, zip, python3's zipfile) in temp dirs, committed to real repositories and scanned
 * through the real CLI in every mode.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliJson, fake, hasTool, Repo, run, tempDir, withTool } from './helpers.js';

const itJar = withTool(hasTool('jar', ['--version']), 'jar (a JDK)');
const itZip = withTool(hasTool('zip', ['-v']), 'zip');

/** Every (rule, path) a report names, occurrences included. */
function places(report: any): string[] {
  const out = new Set<string>();
  for (const f of report.findings) {
    out.add(`${f.ruleId} ${f.path}`);
    for (const o of f.occurrences ?? []) out.add(`${f.ruleId} ${o.path}`);
  }
  return [...out].sort();
}

function must(r: ReturnType<typeof run>): void {
  if (r.status !== 0) throw new Error(`${r.error ?? ''} ${r.stderr}`);
}

/** python3 with the zipfile module, writing what `script` says into `dir`. */
function python(dir: string, script: string): void {
  must(run('python3', ['-c', `import zipfile, tarfile, io, os\n${script}`], dir));
}

/** A project holding a token and a .env, exported with `git archive` in three formats. */
function gitArchives(): string {
  const src = Repo.init();
  src
    .write('config/settings.py', `GITHUB_TOKEN = "${fake.githubPat()}"\n`)
    .write('.env', 'DEBUG=1\n')
    .write('README.md', 'hello\n')
    .add()
    .commit('project');
  const out = tempDir('lg-arch-out-');
  src.git('archive', '--format=zip', '-o', join(out, 'proj.zip'), 'HEAD');
  src.git('archive', '--format=tar', '-o', join(out, 'proj.tar'), 'HEAD');
  src.git('archive', '--format=tar.gz', '--prefix=proj/', '-o', join(out, 'proj.tar.gz'), 'HEAD');
  return out;
}

const EXPECTED = [
  'dotenv-file dist/proj.tar!.env',
  'dotenv-file dist/proj.tar.gz!proj/.env',
  'dotenv-file dist/proj.zip!.env',
  'github-pat dist/proj.tar!config/settings.py',
  'github-pat dist/proj.tar.gz!proj/config/settings.py',
  'github-pat dist/proj.zip!config/settings.py',
];

describe('archives', () => {
  it('git archive zip, tar and tar.gz: members scanned with the same rules in every mode, named archive!member', () => {
    const out = gitArchives();
    const r = Repo.init();
    r.write('README.md', 'x\n').add().commit('start');
    mkdirSync(join(r.dir, 'dist'));
    for (const f of ['proj.zip', 'proj.tar', 'proj.tar.gz']) copyFileSync(join(out, f), join(r.dir, 'dist', f));
    r.add();
    const staged = cliJson(['scan', '--staged'], r.dir);
    expect(staged.code).toBe(1);
    expect(places(staged.report)).toEqual(EXPECTED);
    r.commit('ship the archives');
    const head = r.git('rev-parse', 'HEAD').trim();
    const worktree = cliJson(['scan'], r.dir);
    const history = cliJson(['scan', '--history', '--no-cache'], r.dir);
    const range = cliJson(['scan', '--range', 'HEAD~1..HEAD', '--no-cache'], r.dir);
    const iso = cliJson(['scan', '--history', '--engine', 'isomorphic'], r.dir);
    for (const x of [worktree, history, range, iso]) {
      expect(x.code).toBe(1);
      expect(places(x.report)).toEqual(EXPECTED);
    }
    // the same fingerprints in every mode, and the member's path inside the archive
    const prints = (rep: any) => rep.findings.map((f: any) => `${f.path} ${f.fingerprint}`).sort();
    expect(prints(history.report)).toEqual(prints(staged.report));
    expect(prints(range.report)).toEqual(prints(worktree.report));
    expect(prints(iso.report)).toEqual(prints(history.report));
    const token = history.report.findings.find((f: any) => f.ruleId === 'github-pat');
    expect(token).toMatchObject({ commit: head, secret: 'ghp_********', kind: 'content', line: 1 });
    expect(token.occurrences.map((o: any) => o.member).sort()).toEqual([
      'config/settings.py',
      'config/settings.py',
      'proj/config/settings.py',
    ]);
    // not a binary file passed over: scanned
    expect(history.report.stats.skipped.binary ?? 0).toBe(0);
  });

  itJar("Java's jar, a gzip of one file, and a zip under a name that says nothing: known by their bytes", () => {
    const dir = tempDir('lg-jar-');
    mkdirSync(join(dir, 'app', 'config'), { recursive: true });
    writeFileSync(join(dir, 'app', 'config', 'application.properties'), `aws.accessKeyId=${fake.awsKeyId()}\n`);
    writeFileSync(join(dir, 'app', 'id_rsa'), 'not really a key\n');
    must(run('jar', ['cf', 'app.jar', '-C', 'app', '.'], dir));
    writeFileSync(join(dir, 'token.txt'), `key = "${fake.googleKey()}"\n`);
    must(run('gzip', ['-k', 'token.txt'], dir)); // gzip stores the name: token.txt
    const r = Repo.init();
    r.write('lib/app.jar', readFileSync(join(dir, 'app.jar')))
      .write('lib/plugin.dat', readFileSync(join(dir, 'app.jar')))
      .write('notes/token.txt.gz', readFileSync(join(dir, 'token.txt.gz')))
      .add()
      .commit('binaries');
    const { code, report } = cliJson(['scan', '--history', '--no-cache'], r.dir);
    expect(code).toBe(1);
    const got = places(report);
    for (const jar of ['lib/app.jar', 'lib/plugin.dat']) {
      expect(got).toContain(`aws-access-key-id ${jar}!config/application.properties`);
      expect(got).toContain(`ssh-private-key-file ${jar}!id_rsa`);
    }
    expect(got).toContain('google-api-key notes/token.txt.gz!token.txt');
    // the jar's own manifest is a member like any other, and clean
    expect(got.some((p) => p.includes('MANIFEST.MF'))).toBe(false);
  });

  it('nested archives are read to depth 2; deeper ones, and a depth limit reached, are findings of their own', () => {
    const dir = tempDir('lg-nest-');
    python(
      dir,
      `
token = ${JSON.stringify(fake.githubPat())}
def tar_bytes(files):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode='w') as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
    return b.getvalue()
def zip_bytes(files):
    b = io.BytesIO()
    with zipfile.ZipFile(b, 'w', zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items(): z.writestr(name, data)
    return b.getvalue()
inner = tar_bytes({'c/.env': b'A=1\\n', 'c/key.py': ('T = "%s"\\n' % token).encode()})
open('outer.zip', 'wb').write(zip_bytes({'b.tar': inner, 'readme.txt': b'hi\\n'}))
l3 = zip_bytes({'.env': b'DEEP=1\\n'})
open('deep.zip', 'wb').write(zip_bytes({'l2.zip': zip_bytes({'l3.zip': l3})}))
`,
    );
    const r = Repo.init();
    r.write('outer.zip', readFileSync(join(dir, 'outer.zip')))
      .write('deep.zip', readFileSync(join(dir, 'deep.zip')))
      .add()
      .commit('nested');
    const { code, report } = cliJson(['scan'], r.dir);
    expect(code).toBe(1);
    expect(places(report)).toEqual([
      'archive-incomplete deep.zip!l2.zip!l3.zip',
      'dotenv-file outer.zip!b.tar!c/.env',
      'github-pat outer.zip!b.tar!c/key.py',
    ]);
    const deep = report.findings.find((f: any) => f.ruleId === 'archive-incomplete');
    expect(deep.description).toMatch(/nested deeper than 2 levels: not read \(depth limit\)/);
    expect(deep).toMatchObject({ kind: 'path', member: 'l2.zip!l3.zip', severity: 'medium' });
    // a deeper limit reads it
    r.write('.leakguard.yml', 'archives:\n  max_depth: 3\n');
    expect(places(cliJson(['scan'], r.dir).report)).toContain('dotenv-file deep.zip!l2.zip!l3.zip!.env');
  });

  itZip('encrypted, unsupported, truncated and malformed archives are reported, never an all-clear', () => {
    const dir = tempDir('lg-bad-');
    writeFileSync(join(dir, 'secret.txt'), `key = "${fake.googleKey()}"\n`);
    writeFileSync(join(dir, 'plain.txt'), `key = "${fake.googleKey()}"\n`);
    must(run('zip', ['-q', '-P', 'hunter2', 'enc.zip', 'secret.txt'], dir));
    python(
      dir,
      `
with zipfile.ZipFile('bz.zip', 'w', zipfile.ZIP_BZIP2) as z: z.writestr('a.txt', 'x' * 100)
with zipfile.ZipFile('cut.zip', 'w', zipfile.ZIP_DEFLATED) as z:
    z.write('plain.txt', 'first/plain.txt')
    z.writestr('second/big.txt', os.urandom(30000).hex())
data = open('cut.zip', 'rb').read()
open('cut.zip', 'wb').write(data[: len(data) // 2])
# a size only a pax record states (as for members of 8 GiB and more), the data cut short
with tarfile.open('pax.tar', 'w', format=tarfile.PAX_FORMAT) as t:
    info = tarfile.TarInfo('huge.bin'); info.size = 0; info.pax_headers = {'size': '100000'}
    t.addfile(info)
`,
    );
    const r = Repo.init();
    for (const f of ['enc.zip', 'bz.zip', 'cut.zip', 'pax.tar']) r.write(f, readFileSync(join(dir, f)));
    r.write('fake.zip', Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(60)])).add();
    const { code, report } = cliJson(['scan', '--staged'], r.dir);
    expect(code).toBe(1);
    const why = new Map(
      report.findings.filter((f: any) => f.ruleId === 'archive-incomplete').map((f: any) => [f.path, f.description]),
    );
    expect([...why.keys()].sort()).toEqual(['bz.zip', 'cut.zip', 'enc.zip', 'fake.zip', 'pax.tar']);
    expect(why.get('pax.tar')).toMatch(/tar: the member at byte 1024 runs past the end: reading stopped \(truncated\)/);
    expect(why.get('enc.zip')).toMatch(/secret\.txt is encrypted: not read/);
    expect(why.get('bz.zip')).toMatch(/a\.txt uses compression method 12 \(bzip2\), not supported/);
    expect(why.get('cut.zip')).toMatch(/no central directory/);
    // what a truncated zip still holds is read: the member before the cut
    expect(places(report)).toContain('google-api-key cut.zip!first/plain.txt');
  });

  it('bomb limits (ratio, total, members, member size) are findings that fail the scan; a baseline accepts them', () => {
    const dir = tempDir('lg-bomb-');
    python(
      dir,
      `
with zipfile.ZipFile('bomb.zip', 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('a.txt', 'hello\\n')
    z.writestr('zeros.txt', b'\\0' * (3 * 1024 * 1024))
with zipfile.ZipFile('many.zip', 'w', zipfile.ZIP_DEFLATED) as z:
    for i in range(12): z.writestr('f%02d.txt' % i, 'x%d\\n' % i)
`,
    );
    const r = Repo.init();
    r.write('bomb.zip', readFileSync(join(dir, 'bomb.zip')))
      .write('many.zip', readFileSync(join(dir, 'many.zip')))
      .add()
      .commit('archives');
    const incomplete = (yml: string) => {
      r.write('.leakguard.yml', yml);
      const { code, report } = cliJson(['scan'], r.dir);
      expect(code).toBe(1);
      return new Map(report.findings.map((f: any) => [f.path, f.description]));
    };
    // 3 MB of zeros deflate a thousandfold: past the default ratio limit (100x, past 1 MiB of output)
    expect(incomplete('').get('bomb.zip')).toMatch(
      /zeros\.txt inflates more than 342x \(3065 bytes to over 1048576; the limit is 100x\): suspected decompression bomb, not read \(ratio limit\)/,
    );
    r.write('.leakguard.yml', 'archives:\n  max_ratio: 2000\n');
    expect(cliJson(['scan'], r.dir)).toMatchObject({ code: 0, report: { findings: [] } });
    expect(incomplete('archives:\n  max_ratio: 2000\n  max_total_size: 2MB\n').get('bomb.zip')).toMatch(
      /more than 2000000 bytes in all: reading stopped \(total size limit\)/,
    );
    expect(incomplete('archives:\n  max_ratio: 2000\n  max_member_size: 1MB\n').get('bomb.zip')).toMatch(
      /zeros\.txt is larger than 1000000 bytes: not read \(member size limit\)/,
    );
    const many = incomplete('archives:\n  max_ratio: 2000\n  max_members: 10\n');
    expect(many.get('many.zip')).toMatch(/more than 10 members: reading stopped \(member limit\)/);
    expect(many.has('bomb.zip')).toBe(false);
    // accepted through a baseline (the fingerprint is the rule and the archive's path)
    r.write('.leakguard.yml', 'archives:\n  max_ratio: 2000\n  max_members: 10\n');
    expect(cli(['baseline'], r.dir).code).toBe(0);
    expect(cliJson(['scan', '--baseline', '.leakguard-baseline.json'], r.dir)).toMatchObject({
      code: 0,
      report: { findings: [], stats: { suppressed: { baseline: 1 } } },
    });
    // archives: false turns reading them off (they are binary files again)
    r.write('.leakguard.yml', 'archives: false\n');
    expect(cliJson(['scan'], r.dir).report.stats.skipped.binary).toBe(2);
    r.write('.leakguard.yml', 'archives:\n  max_size: 1MB\n');
    const bad = cli(['scan'], r.dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown key 'archives\.max_size'/);
    expect(bad.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('allowlist and baseline see the full member path; SARIF and GitLab name the member; purge and gitignore take the archive', () => {
    const out = gitArchives();
    const r = Repo.init();
    r.write('dist/proj.zip', readFileSync(join(out, 'proj.zip')))
      .add()
      .commit('ship');
    r.write('.leakguard.yml', "allowlist:\n  paths: ['dist/proj.zip!.env']\n");
    const allowed = cliJson(['scan', '--history', '--no-cache'], r.dir);
    expect(places(allowed.report)).toEqual(['github-pat dist/proj.zip!config/settings.py']);
    r.write('.leakguard.yml', '');
    const sarif = JSON.parse(cli(['scan', '--format', 'sarif'], r.dir).stdout);
    const uris = sarif.runs[0].results.map((x: any) => x.locations[0].physicalLocation.artifactLocation.uri).sort();
    expect(uris).toEqual(['dist/proj.zip!.env', 'dist/proj.zip!config/settings.py']);
    const gitlab = JSON.parse(cli(['scan', '--format', 'gitlab'], r.dir).stdout);
    expect(gitlab.vulnerabilities.map((v: any) => v.location.file).sort()).toEqual([
      'dist/proj.zip!.env',
      'dist/proj.zip!config/settings.py',
    ]);
    const text = cli(['scan', '--history', '--no-cache'], r.dir).stdout;
    expect(text).toContain('dist/proj.zip!config/settings.py');
    expect(text).not.toContain(fake.githubPat());

    const plan = JSON.parse(cli(['purge', '--plan', '--format', 'json'], r.dir).stdout);
    expect(plan.removePaths.map((t: any) => t.spec)).toEqual(['literal:dist/proj.zip']);
    expect(plan.replacements).toEqual([]);
    const check = cli(['gitignore', '--check'], r.dir);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('/dist/proj.zip');
    expect(check.stdout).not.toContain('!');
  });

  it('the scan cache: a warm scan gives the same archive findings, and other limits are another key', () => {
    const out = gitArchives();
    const dir = tempDir('lg-clean-');
    for (const f of ['a.txt', 'b.txt', 'c.txt']) writeFileSync(join(dir, f), `${f}\n`);
    must(run('tar', ['-cf', 'clean.tar', 'a.txt', 'b.txt', 'c.txt'], dir));
    const r = Repo.init();
    r.write('proj.tar', readFileSync(join(out, 'proj.tar')))
      .write('clean.tar', readFileSync(join(dir, 'clean.tar')))
      .add()
      .commit('tars');
    const cache = join(tempDir('lg-cache-'), 'c');
    const cold = cliJson(['scan', '--history', '--cache', cache], r.dir);
    const warm = cliJson(['scan', '--history', '--cache', cache], r.dir);
    expect(places(warm.report)).toEqual(places(cold.report));
    expect(places(warm.report)).toEqual(['dotenv-file proj.tar!.env', 'github-pat proj.tar!config/settings.py']);
    expect(warm.report.stats.contentScanned).toBe(cold.report.stats.contentScanned);
    // the clean archive's verdict (nothing in it) must not outlive the limits it was reached under
    r.write('.leakguard.yml', 'archives:\n  max_members: 2\n');
    const limited = cliJson(['scan', '--history', '--cache', cache], r.dir);
    expect(places(limited.report)).toContain('archive-incomplete clean.tar');
  });
});

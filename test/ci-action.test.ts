/**
 * The GitHub Action's steps, run here by scripts/run-action.mjs as a runner would run them, and
 * the GitLab CI template's script, run with a merge-request pipeline's variables.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import yaml from 'js-yaml';
import { fake, GIT_ENV, Repo, ROOT, run } from './helpers.js';

function pullRequestRepo() {
  const r = Repo.init();
  r.write('README.md', 'hi\n').add().commit('base');
  const base = r.git('rev-parse', 'HEAD').trim();
  r.git('checkout', '-q', '-b', 'feature');
  r.write('src/config.js', `export const key = "${fake.googleKey()}";\n`).add().commit('add config');
  return { r, base };
}

function runAction(dir: string, ...args: string[]) {
  const res = run(process.execPath, [join(ROOT, 'scripts', 'run-action.mjs'), '--workdir', dir, ...args], dir, GIT_ENV);
  return { code: res.status, steps: JSON.parse(res.stdout).steps as any[], log: res.stderr };
}

describe('action.yml', () => {
  it('a pull request: scans base..HEAD, writes SARIF for the upload step, and fails the job on findings', () => {
    const { r, base } = pullRequestRepo();
    const res = runAction(r.dir, '--event', 'pull_request', '--pr-base', base);
    expect(res.code, res.log).toBe(1);
    const [setup, scan, upload, fail] = res.steps;
    expect(setup.exitCode).toBe(0);
    expect(scan).toMatchObject({ exitCode: 0, outputs: { 'exit-code': '1', sarif: 'leakguard.sarif' } });
    expect(res.log).toContain(`--range ${base}..HEAD`);
    expect(upload).toMatchObject({
      uses: 'github/codeql-action/upload-sarif@v3',
      with: { sarif_file: 'leakguard.sarif', category: 'leakguard' },
    });
    expect(fail.exitCode).toBe(1);
    const sarif = JSON.parse(readFileSync(join(r.dir, 'leakguard.sarif'), 'utf8'));
    expect(sarif.runs[0].results.map((x: any) => x.ruleId)).toEqual(['google-api-key']);
    expect(readFileSync(join(r.dir, 'leakguard.sarif'), 'utf8')).not.toContain(fake.googleKey());
  });

  it('a push scans the pushed commits (before..after); a new branch, with no before, the whole history', () => {
    const { r, base } = pullRequestRepo();
    const after = r.git('rev-parse', 'HEAD').trim();
    const push = runAction(r.dir, '--event', 'push', '--before', base, '--after', after);
    expect(push.code, push.log).toBe(1);
    expect(push.log).toContain(`--range ${base}..${after}`);
    expect(push.steps[1].outputs['exit-code']).toBe('1');
    const created = runAction(r.dir, '--event', 'push', '--before', '0'.repeat(40), '--after', after);
    expect(created.code, created.log).toBe(1);
    expect(created.log).toMatch(/leakguard scan .*--history/);
    // a push that adds nothing new passes: only its own commits count
    r.git('checkout', '-q', 'main');
    r.write('b.txt', 'b\n').add().commit('clean');
    const head = r.git('rev-parse', 'HEAD').trim();
    expect(runAction(r.dir, '--event', 'push', '--before', base, '--after', head).code).toBe(0);
  });

  it('a schedule scans the whole history; a clean one passes, and fail-on-findings false only reports', () => {
    const { r } = pullRequestRepo();
    const reportOnly = runAction(
      r.dir,
      '--event',
      'schedule',
      '--input',
      'fail-on-findings=false',
      '--input',
      'sarif-file=history.sarif',
    );
    expect(reportOnly.code, reportOnly.log).toBe(0);
    expect(reportOnly.log).toContain('--history');
    expect(reportOnly.steps[1].outputs['exit-code']).toBe('1');
    expect(reportOnly.steps[3].skipped).toBe(true);
    expect(existsSync(join(r.dir, 'history.sarif'))).toBe(true);
    // cache-dir: the scan cache goes where an actions/cache step can keep it
    const cached = runAction(r.dir, '--event', 'schedule', '--input', 'cache-dir=.leakguard-cache');
    expect(cached.code, cached.log).toBe(1);
    expect(cached.log).toContain('--cache .leakguard-cache');
    expect(readdirSync(join(r.dir, '.leakguard-cache')).sort()).toEqual(['blobs.bin', 'walk.bin']);
    const clean = Repo.init();
    clean.write('a.txt', 'a\n').add().commit();
    const ok = runAction(clean.dir, '--event', 'schedule', '--input', 'upload-sarif=false');
    expect(ok.code, ok.log).toBe(0);
    expect(ok.steps[2].skipped).toBe(true);
    expect(ok.steps[3].skipped).toBe(true);
  });

  it('a bad input stops at the scan step with exit 2 and uploads nothing', () => {
    const { r } = pullRequestRepo();
    const res = runAction(r.dir, '--input', 'mode=everything');
    expect(res.code).toBe(1);
    expect(res.steps[1].exitCode).toBe(2);
    expect(res.log).toMatch(/mode must be auto, range or history/);
    expect(res.steps[2].skipped).toBe(true);
  });
});

describe('GitLab CI template', () => {
  it('in a merge request pipeline it scans the merge request commits into a valid secret-detection artifact', () => {
    const { r, base } = pullRequestRepo();
    const job = (yaml.load(readFileSync(join(ROOT, 'ci', 'gitlab-ci.yml'), 'utf8')) as any).leakguard;
    expect(job.artifacts.reports.secret_detection).toBe('gl-secret-detection-report.json');
    // the scan line as GitLab runs it (npm ci is the project's own install; here leakguard is on PATH via npx's lookup)
    const script = job.script
      .filter((s: string) => !s.startsWith('npm ci'))
      .join('\n')
      .replace('npx --no -- leakguard', `node ${join(ROOT, 'bin', 'leakguard.js')}`);
    const env = { ...GIT_ENV, CI_MERGE_REQUEST_DIFF_BASE_SHA: base, CI_COMMIT_SHA: r.git('rev-parse', 'HEAD').trim() };
    const res = run('bash', ['-eo', 'pipefail', '-c', script], r.dir, env);
    expect(res.status).toBe(1); // findings fail the job
    const doc = JSON.parse(readFileSync(join(r.dir, 'gl-secret-detection-report.json'), 'utf8'));
    expect(doc.scan.type).toBe('secret_detection');
    expect(doc.vulnerabilities.map((v: any) => v.location.file)).toEqual(['src/config.js']);
    expect(doc.vulnerabilities[0].location.commit.sha).toBe(env.CI_COMMIT_SHA);
    // the job's cache: paths entry is where the scan keeps its cache
    expect(job.cache.paths).toEqual(['.leakguard-cache/']);
    expect(readdirSync(join(r.dir, '.leakguard-cache'))).toEqual(['blobs.bin']);
  });
});

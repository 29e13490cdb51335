/**
 * leakguard inside the hook managers teams use, with the real packages (husky, lefthook,
 * simple-git-hooks from npm, Debian's pre-commit): installed, then the manager's own install run
 * again (what the next `npm install` does), and the guard must still block a secret, let a clean
 * commit through, leave the team's own hook running, and write no machine path into a tracked file.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, fake, GIT_ENV, hasTool, Repo, ROOT, run, tempDir, withTool } from './helpers.js';

const itPreCommit = withTool(hasTool('pre-commit'), "Debian's pre-commit");
/**
 * pre-commit installing leakguard from its repository runs a full npm install of it (half a
 * minute): CI runs that test; elsewhere the npm pack test below checks the step that used to break.
 */
const itPreCommitInstall = process.env.CI || process.env.LEAKGUARD_SLOW_TESTS ? itPreCommit : it.skip;

/**
 * A Node project whose node_modules links the real packages this checkout installed, leakguard
 * among them. `husky4` lays out husky 4.3.8 (this checkout's `husky4` alias) as `husky`, the name
 * husky 4's hook scripts run it by. `pkgText` is package.json as written, when its layout matters.
 */
function nodeProject(pkg: Record<string, unknown> = {}, opts: { husky4?: boolean; pkgText?: string } = {}): Repo {
  const r = Repo.init();
  r.write(
    'package.json',
    opts.pkgText ?? `${JSON.stringify({ name: 'team-app', version: '1.0.0', private: true, ...pkg }, null, 2)}\n`,
  ).write('.gitignore', 'node_modules/\n');
  const nm = join(r.dir, 'node_modules');
  mkdirSync(join(nm, '.bin'), { recursive: true });
  const links: Record<string, string> = {
    husky: opts.husky4 ? 'husky4' : 'husky',
    lefthook: 'lefthook',
    'lefthook-linux-x64': 'lefthook-linux-x64',
    'simple-git-hooks': 'simple-git-hooks',
  };
  for (const [name, installed] of Object.entries(links)) {
    if (existsSync(join(ROOT, 'node_modules', installed)))
      symlinkSync(join(ROOT, 'node_modules', installed), join(nm, name));
  }
  symlinkSync(ROOT, join(nm, 'leakguard'));
  const bins: Record<string, string> = {
    leakguard: '../leakguard/bin/leakguard.js',
    ...(opts.husky4 ? { 'husky-run': '../husky/bin/run.js' } : { husky: '../husky/bin.js' }),
    lefthook: '../lefthook/bin/index.js',
    'simple-git-hooks': '../simple-git-hooks/cli.js',
  };
  for (const [name, target] of Object.entries(bins)) symlinkSync(target, join(nm, '.bin', name));
  return r;
}

/** This checkout's files (tracked and new, not ignored) in a directory of their own. */
function projectCopy(): Repo {
  const copy = new Repo(tempDir('lg-project-copy-'));
  const files = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], ROOT)
    .stdout.split('\0')
    .filter((f) => f && existsSync(join(ROOT, f)));
  for (const f of files) copy.write(f, readFileSync(join(ROOT, f)));
  return copy;
}

/** husky 4's install script (`node husky install` in its package directory), run the way npm runs it. */
function husky4Install(r: Repo) {
  const env: NodeJS.ProcessEnv = {
    ...GIT_ENV,
    INIT_CWD: r.dir,
    npm_lifecycle_event: 'install',
    npm_config_user_agent: `npm/10 node/${process.version} linux x64`,
    PATH: `${join(r.dir, 'node_modules', '.bin')}:${process.env.PATH}`,
  };
  // husky 4 skips installing on CI (its skipCI default): the fixture is a developer's machine
  for (const v of ['CI', 'CONTINUOUS_INTEGRATION', 'BUILD_NUMBER', 'RUN_ID', 'GITHUB_ACTIONS', 'GITLAB_CI'])
    delete env[v];
  const res = run(process.execPath, ['husky', 'install'], join(r.dir, 'node_modules', 'husky'), env);
  expect(res.status, res.stdout + res.stderr).toBe(0);
  expect(res.stdout).toMatch(/husky > Done/);
  expect(readFileSync(join(r.dir, '.git/hooks/pre-commit'), 'utf8')).toMatch(/^# husky$/m);
}

/** Runs a tool from the project's node_modules/.bin, as npm scripts do. */
function npx(r: Repo, tool: string, ...args: string[]) {
  const res = run(join(r.dir, 'node_modules', '.bin', tool), args, r.dir, {
    ...GIT_ENV,
    PATH: `${join(r.dir, 'node_modules', '.bin')}:${process.env.PATH}`,
  });
  expect(res.status, `${tool} ${args.join(' ')}: ${res.stdout}${res.stderr}`).toBe(0);
  return res;
}

/** git as a developer runs it: leakguard is not on PATH, only in the project. */
const devEnv = {
  ...GIT_ENV,
  PATH: process.env
    .PATH!.split(':')
    .filter((d) => !existsSync(join(d, 'leakguard')))
    .join(':'),
};

function commit(r: Repo, message = 'change') {
  return run('git', ['commit', '-q', '-m', message], r.dir, devEnv);
}

/** The team's own hook leaves this trace in .git (never in the work tree). */
const TEAM_TRACE = '.git/team-hook-ran';
const teamRan = (r: Repo) =>
  existsSync(join(r.dir, TEAM_TRACE))
    ? readFileSync(join(r.dir, TEAM_TRACE), 'utf8').split('\n').filter(Boolean).length
    : 0;

function trackedFilesHoldNoMachinePath(r: Repo) {
  r.git('add', '-A');
  const files = r.git('ls-files', '-z').split('\0').filter(Boolean);
  for (const f of files) {
    const text = readFileSync(join(r.dir, f), 'utf8');
    for (const machine of [ROOT, process.execPath, r.dir]) expect(text, `${f} holds ${machine}`).not.toContain(machine);
  }
}

/** What every manager must do once leakguard is in and the manager has re-installed itself. */
function guardWorks(r: Repo, opts: { messages?: boolean; push?: boolean } = {}) {
  const before = teamRan(r);
  r.write('src/config.js', `export const key = "${fake.googleKey()}";\n`).add('src/config.js');
  const blocked = commit(r);
  expect(blocked.status, blocked.stdout + blocked.stderr).not.toBe(0);
  expect(blocked.stdout + blocked.stderr).toMatch(/google-api-key|Google API key/);
  r.git('rm', '-q', '--cached', 'src/config.js');
  r.write('README.md', `hello ${Math.random()}\n`).add('README.md');
  const ok = commit(r);
  expect(ok.status, ok.stdout + ok.stderr).toBe(0);
  expect(teamRan(r)).toBeGreaterThan(before);
  if (opts.messages) {
    r.write('README.md', `again ${Math.random()}\n`).add('README.md');
    const msg = commit(r, `deploy with token ${fake.githubPat()}`);
    expect(msg.status, msg.stdout + msg.stderr).not.toBe(0);
    expect(msg.stdout + msg.stderr).toMatch(/commit message/);
  }
  if (opts.push) {
    // pre-push, with git's ref lines on stdin passed through the manager
    const remote = Repo.init({ bare: true });
    r.git('remote', 'add', 'origin', remote.dir);
    const first = run('git', ['push', '-q', 'origin', 'main'], r.dir, devEnv);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    r.write('deploy.js', `token = "${fake.githubPat()}"\n`).add('deploy.js');
    r.git('commit', '-q', '--no-verify', '-m', 'skipped the commit hooks');
    const push = run('git', ['push', '-q', 'origin', 'main'], r.dir, devEnv);
    expect(push.status, push.stdout + push.stderr).not.toBe(0);
    expect(push.stdout + push.stderr).toMatch(/github-pat/);
    expect(run('git', ['rev-parse', 'main'], remote.dir).stdout.trim()).toBe(r.git('rev-parse', 'HEAD~1').trim());
  }
}

describe('husky', () => {
  it('husky 9: a line in .husky/pre-commit that survives husky re-installing, and uninstall undoes exactly that', () => {
    const r = nodeProject({ devDependencies: { husky: '^9.1.7', leakguard: '*' }, scripts: { prepare: 'husky' } });
    const teamHook = `npm --version >/dev/null\necho ran >> ${TEAM_TRACE}\n`;
    r.write('.husky/pre-commit', teamHook);
    npx(r, 'husky');
    expect(r.git('config', 'core.hooksPath').trim()).toBe('.husky/_');
    const inst = cli(['hook', 'install'], r.dir);
    expect(inst.code, inst.stderr).toBe(0);
    expect(inst.stderr).toMatch(/pre-commit: added leakguard in .husky\/pre-commit/);
    expect(readFileSync(join(r.dir, '.husky/_/pre-commit'), 'utf8')).not.toMatch(/leakguard/); // husky's own stubs untouched
    npx(r, 'husky'); // what the next npm install does
    guardWorks(r, { messages: true, push: true });
    trackedFilesHoldNoMachinePath(r);
    expect(cli(['hook', 'install'], r.dir).code).toBe(0); // again: updated in place, not twice
    expect(readFileSync(join(r.dir, '.husky/pre-commit'), 'utf8').match(/leakguard scan/g)).toHaveLength(1);
    const un = cli(['hook', 'uninstall'], r.dir);
    expect(un.code, un.stderr).toBe(0);
    expect(readFileSync(join(r.dir, '.husky/pre-commit'), 'utf8')).toBe(teamHook);
    for (const h of ['commit-msg', 'pre-merge-commit', 'pre-push'])
      expect(existsSync(join(r.dir, '.husky', h))).toBe(false);
  });

  it('husky 5-8 layout (core.hooksPath .husky): a portable line in the tracked script, no absolute path', () => {
    const r = nodeProject({ devDependencies: { husky: '^8.0.3' } });
    r.write('.husky/_/husky.sh', '#!/usr/bin/env sh\n').write('.husky/_/.gitignore', '*\n');
    const teamHook = `#!/usr/bin/env sh\n. "$(dirname -- "$0")/_/husky.sh"\n\necho ran >> ${TEAM_TRACE}\nexit 0\n`;
    r.write('.husky/pre-commit', teamHook);
    chmodSync(join(r.dir, '.husky/pre-commit'), 0o755);
    r.git('config', 'core.hooksPath', '.husky');
    expect(cli(['hook', 'install'], r.dir).code).toBe(0);
    const script = readFileSync(join(r.dir, '.husky/pre-commit'), 'utf8');
    expect(script).toMatch(/node_modules\/\.bin\/leakguard scan --staged --quiet/);
    expect(script.indexOf('leakguard scan')).toBeLessThan(script.indexOf('exit 0')); // before the team's exit 0
    guardWorks(r, { messages: true });
    trackedFilesHoldNoMachinePath(r);
    expect(cli(['hook', 'uninstall'], r.dir).code).toBe(0);
    expect(readFileSync(join(r.dir, '.husky/pre-commit'), 'utf8')).toBe(teamHook);
    expect(existsSync(join(r.dir, '.husky/commit-msg'))).toBe(false);
  });

  it("husky 4 (package.json husky.hooks): leakguard first in the team's commands, package.json's layout kept, surviving husky's install, and uninstall gives the bytes back", () => {
    // four-space indentation, an inline array and object, husky between other keys: all must stay
    const pkgText = [
      '{',
      '    "name": "team-app",',
      '    "private": true,',
      '    "files": ["src", "lib"],',
      '    "husky": {',
      '        "hooks": {',
      `            "pre-commit": "echo ran >> ${TEAM_TRACE}",`,
      '            "post-merge": "true"',
      '        }',
      '    },',
      '    "devDependencies": {"husky": "4.3.8", "leakguard": "*"}',
      '}',
      '',
    ].join('\n');
    const r = nodeProject({}, { husky4: true, pkgText });
    husky4Install(r);
    const inst = cli(['hook', 'install'], r.dir);
    expect(inst.code, inst.stderr).toBe(0);
    expect(inst.stderr).toMatch(/leakguard added to husky 4's hooks in package\.json/);
    expect(inst.stderr).not.toMatch(/warning/);
    const edited = readFileSync(join(r.dir, 'package.json'), 'utf8');
    const hooks = JSON.parse(edited).husky.hooks;
    expect(hooks['pre-commit']).toBe(`node_modules/.bin/leakguard scan --staged --quiet && echo ran >> ${TEAM_TRACE}`);
    expect(hooks['post-merge']).toBe('true');
    expect(hooks['commit-msg']).toMatch(/--commit-msg "\$HUSKY_GIT_PARAMS"$/);
    expect(hooks['pre-push']).toMatch(/HUSKY_GIT_STDIN.*--pre-push/);
    // only the hooks' lines changed, laid out like their neighbours
    const changed = edited.split('\n').filter((l) => !pkgText.split('\n').includes(l));
    expect(changed.every((l) => /^ {12}"(pre-commit|post-merge|pre-merge-commit|commit-msg|pre-push)": /.test(l))).toBe(
      true,
    );
    expect(edited).toMatch(/\n {4}"files": \["src", "lib"\],\n/);
    expect(edited.endsWith('}\n')).toBe(true);
    husky4Install(r); // what the next npm install does
    guardWorks(r, { messages: true, push: true });
    trackedFilesHoldNoMachinePath(r);
    expect(cli(['hook', 'install'], r.dir).code).toBe(0); // again: replaced in place, not chained twice
    expect(readFileSync(join(r.dir, 'package.json'), 'utf8')).toBe(edited);
    const un = cli(['hook', 'uninstall'], r.dir);
    expect(un.code, un.stderr).toBe(0);
    expect(readFileSync(join(r.dir, 'package.json'), 'utf8')).toBe(pkgText);
  });

  it('husky 4 with .huskyrc.json: edited the same way (before husky has run: a warning says so); uninstall gives the bytes back', () => {
    const r = nodeProject({ devDependencies: { husky: '4.3.8', leakguard: '*' } }, { husky4: true });
    const rc = '{\n\t"hooks": {}\n}';
    r.write('.huskyrc.json', rc);
    // before husky 4 has written its git hooks: the config is edited, and the user told what is missing
    const inst = cli(['hook', 'install', '--hooks', 'pre-commit,commit-msg'], r.dir);
    expect(inst.code, inst.stderr).toBe(0);
    expect(inst.stderr).toMatch(/warning: husky 4 has not installed its pre-commit, commit-msg git hooks here yet/);
    husky4Install(r);
    const edited = readFileSync(join(r.dir, '.huskyrc.json'), 'utf8');
    expect(edited).toMatch(
      /^\{\n\t"hooks": \{\n\t\t"pre-commit": "node_modules\/\.bin\/leakguard scan --staged --quiet",\n\t\t"commit-msg": /,
    );
    r.write('src/config.js', `export const key = "${fake.googleKey()}";\n`).add('src/config.js');
    const blocked = commit(r);
    expect(blocked.status, blocked.stdout + blocked.stderr).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toMatch(/google-api-key/);
    expect(cli(['hook', 'uninstall'], r.dir).code).toBe(0);
    expect(readFileSync(join(r.dir, '.huskyrc.json'), 'utf8')).toBe(rc);
  });

  it('husky 4 configured in JavaScript or YAML: refused in one line with what to add, and nothing changes', () => {
    for (const [name, text] of [
      ['husky.config.js', "module.exports = { hooks: { 'pre-commit': 'npm test' } };\n"],
      ['.huskyrc', 'hooks:\n  pre-commit: npm test # the team\n'],
    ] as const) {
      const r = nodeProject({ devDependencies: { husky: '4.3.8' } }, { husky4: true });
      // a plain leakguard hook from before: the refusal must not remove it either
      expect(cli(['hook', 'install', '--hooks', 'pre-commit'], r.dir).code).toBe(0);
      const plain = readFileSync(join(r.dir, '.git/hooks/pre-commit'), 'utf8');
      r.write(name, text);
      const pkg = readFileSync(join(r.dir, 'package.json'), 'utf8');
      const res = cli(['hook', 'install'], r.dir);
      expect(res.code, name).toBe(2);
      expect(res.stderr.trim().split('\n'), res.stderr).toHaveLength(1);
      expect(res.stderr).toMatch(
        new RegExp(
          `husky 4: ${name.replace('.', '\\.')} is (JavaScript|YAML).*"pre-commit": "node_modules/.bin/leakguard scan --staged --quiet"`,
        ),
      );
      expect(readFileSync(join(r.dir, name), 'utf8')).toBe(text);
      expect(readFileSync(join(r.dir, 'package.json'), 'utf8')).toBe(pkg);
      expect(readFileSync(join(r.dir, '.git/hooks/pre-commit'), 'utf8')).toBe(plain);
    }
  });
});

describe('lefthook', () => {
  it('a command in lefthook.yml that survives lefthook install, with comments kept, and uninstall undoes exactly that', () => {
    const r = nodeProject({ devDependencies: { lefthook: '2.2.1', leakguard: '*' } });
    const config = `# the team's hooks\npre-commit:\n  parallel: true\n  commands:\n    team:\n      run: echo ran >> ${TEAM_TRACE}\n\npost-checkout:\n  commands:\n    hello:\n      run: "true"\n`;
    r.write('lefthook.yml', config);
    npx(r, 'lefthook', 'install');
    const inst = cli(['hook', 'install'], r.dir);
    expect(inst.code, inst.stderr).toBe(0);
    expect(inst.stderr).toMatch(/ran 'lefthook install'/);
    const edited = readFileSync(join(r.dir, 'lefthook.yml'), 'utf8');
    expect(edited).toMatch(/^# the team's hooks$/m);
    expect(edited).toMatch(/^ {4}leakguard:\n {6}run: node_modules\/\.bin\/leakguard scan --staged --quiet$/m);
    expect(edited).toMatch(
      /^pre-push:\n {2}commands:\n {4}leakguard:\n {6}run: .*--pre-push \{1\}\n {6}use_stdin: true$/m,
    );
    npx(r, 'lefthook', 'install'); // the team's next install
    expect(existsSync(join(r.dir, '.git/hooks/pre-commit.old'))).toBe(false);
    guardWorks(r, { messages: true, push: true });
    trackedFilesHoldNoMachinePath(r);
    expect(cli(['hook', 'uninstall'], r.dir).code).toBe(0);
    expect(readFileSync(join(r.dir, 'lefthook.yml'), 'utf8')).toBe(config);
  });

  it('a lefthook.yml layout it cannot edit safely is refused with the snippet, and nothing changes', () => {
    const r = nodeProject();
    // a plain leakguard hook from before lefthook came: the refusal must not remove it either
    expect(cli(['hook', 'install', '--hooks', 'pre-commit'], r.dir).code).toBe(0);
    const plain = readFileSync(join(r.dir, '.git/hooks/pre-commit'), 'utf8');
    const config = 'pre-commit: { commands: { team: { run: "true" } } }\n';
    r.write('lefthook.yml', config);
    const res = cli(['hook', 'install', '--hooks', 'pre-commit'], r.dir);
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/cannot add leakguard to lefthook.yml safely/);
    expect(readFileSync(join(r.dir, 'lefthook.yml'), 'utf8')).toBe(config);
    expect(readFileSync(join(r.dir, '.git/hooks/pre-commit'), 'utf8')).toBe(plain);
  });
});

describe('simple-git-hooks', () => {
  it("leakguard's command first in the package.json config, surviving a re-run, and taken back off on uninstall", () => {
    const r = nodeProject({
      devDependencies: { 'simple-git-hooks': '^2.14.0' },
      'simple-git-hooks': { 'pre-commit': `echo ran >> ${TEAM_TRACE}` },
    });
    const pkg = readFileSync(join(r.dir, 'package.json'), 'utf8');
    npx(r, 'simple-git-hooks');
    const inst = cli(['hook', 'install', '--hooks', 'pre-commit,commit-msg'], r.dir);
    expect(inst.code, inst.stderr).toBe(0);
    npx(r, 'simple-git-hooks');
    guardWorks(r, { messages: true });
    trackedFilesHoldNoMachinePath(r);
    expect(cli(['hook', 'uninstall'], r.dir).code).toBe(0);
    expect(readFileSync(join(r.dir, 'package.json'), 'utf8')).toBe(pkg);
  });
});

describe('pre-commit framework', () => {
  const preCommitEnv = (home: string) => ({ ...devEnv, PRE_COMMIT_HOME: home });

  itPreCommit(
    'a local entry in .pre-commit-config.yaml that survives pre-commit install, and uninstall undoes exactly that',
    () => {
      const r = nodeProject();
      const home = tempDir('lg-pre-commit-home-');
      const config = `# team config\nrepos:\n  - repo: local\n    hooks:\n      - id: team\n        name: team\n        entry: sh -c 'echo ran >> ${TEAM_TRACE}'\n        language: system\n        pass_filenames: false\n        always_run: true\n`;
      r.write('.pre-commit-config.yaml', config);
      expect(run('pre-commit', ['install'], r.dir, preCommitEnv(home)).status).toBe(0);
      const inst = run(
        process.execPath,
        [join(ROOT, 'bin', 'leakguard.js'), 'hook', 'install'],
        r.dir,
        preCommitEnv(home),
      );
      expect(inst.status, inst.stderr).toBe(0);
      expect(inst.stderr).toMatch(
        /ran 'pre-commit install -t pre-commit -t pre-merge-commit -t commit-msg -t pre-push'/,
      );
      expect(run('pre-commit', ['install'], r.dir, preCommitEnv(home)).status).toBe(0);
      const attempt = (message = 'change') => run('git', ['commit', '-q', '-m', message], r.dir, preCommitEnv(home));
      const before = teamRan(r);
      r.write('src/config.js', `export const key = "${fake.googleKey()}";\n`).add('src/config.js');
      const blocked = attempt();
      expect(blocked.status, blocked.stdout + blocked.stderr).not.toBe(0);
      expect(blocked.stdout + blocked.stderr).toMatch(/google-api-key|Google API key/);
      r.git('rm', '-q', '--cached', 'src/config.js');
      r.write('README.md', 'hello\n').add('README.md', '.pre-commit-config.yaml');
      const ok = attempt();
      expect(ok.status, ok.stdout + ok.stderr).toBe(0);
      expect(teamRan(r)).toBeGreaterThan(before);
      r.write('README.md', 'again\n').add('README.md');
      const msg = attempt(`token ${fake.githubPat()}`);
      expect(msg.status, msg.stdout + msg.stderr).not.toBe(0);
      // pre-push: pre-commit exports the push (PRE_COMMIT_FROM_REF/TO_REF) instead of passing stdin
      const remote = Repo.init({ bare: true });
      r.git('remote', 'add', 'origin', remote.dir);
      r.git('commit', '-q', '-m', 'clean', '--no-verify');
      const first = run('git', ['push', '-q', 'origin', 'main'], r.dir, preCommitEnv(home));
      expect(first.status, first.stdout + first.stderr).toBe(0);
      r.write('deploy.js', `token = "${fake.githubPat()}"\n`).add('deploy.js');
      r.git('commit', '-q', '--no-verify', '-m', 'skipped the commit hooks');
      const push = run('git', ['push', '-q', 'origin', 'main'], r.dir, preCommitEnv(home));
      expect(push.status, push.stdout + push.stderr).not.toBe(0);
      expect(push.stdout + push.stderr).toMatch(/github-pat/);
      trackedFilesHoldNoMachinePath(r);
      expect(cli(['hook', 'uninstall'], r.dir).code).toBe(0);
      expect(readFileSync(join(r.dir, '.pre-commit-config.yaml'), 'utf8')).toBe(config);
    },
  );

  it('a .pre-commit-config.yaml leakguard cannot edit safely is refused in one line, and nothing changes', () => {
    const r = nodeProject();
    // a plain leakguard hook from before pre-commit came: the refusal must not remove it either
    expect(cli(['hook', 'install', '--hooks', 'pre-commit'], r.dir).code).toBe(0);
    const plain = readFileSync(join(r.dir, '.git/hooks/pre-commit'), 'utf8');
    const config = 'repos: [{repo: local, hooks: [{id: team, name: team, entry: "true", language: system}]}]\n';
    r.write('.pre-commit-config.yaml', config);
    const res = cli(['hook', 'install'], r.dir);
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n'), res.stderr).toHaveLength(1);
    expect(res.stderr).toMatch(/cannot add leakguard to \.pre-commit-config\.yaml safely/);
    expect(readFileSync(join(r.dir, '.pre-commit-config.yaml'), 'utf8')).toBe(config);
    expect(readFileSync(join(r.dir, '.git/hooks/pre-commit'), 'utf8')).toBe(plain);
  });

  itPreCommitInstall(
    '.pre-commit-hooks.yaml: pre-commit installs leakguard as a node hook (system node) and its hooks block a secret',
    () => {
      // the repository as pre-commit would clone it: this checkout's files, committed
      const src = projectCopy();
      src.git('init', '-q', '-b', 'main');
      src.add().commit('leakguard');
      const rev = src.git('rev-parse', 'HEAD').trim();
      const r = Repo.init();
      const home = tempDir('lg-pre-commit-home-');
      r.write(
        '.pre-commit-config.yaml',
        `repos:\n  - repo: ${src.dir}\n    rev: ${rev}\n    hooks:\n      - id: leakguard\n      - id: leakguard-commit-msg\n`,
      );
      const env = { ...devEnv, PRE_COMMIT_HOME: home };
      expect(run('pre-commit', ['install', '-t', 'pre-commit', '-t', 'commit-msg'], r.dir, env).status).toBe(0);
      const installed = run('pre-commit', ['install-hooks'], r.dir, env);
      expect(installed.status, installed.stdout + installed.stderr).toBe(0);
      r.write('src/config.js', `export const key = "${fake.googleKey()}";\n`).add();
      const blocked = run('git', ['commit', '-q', '-m', 'x'], r.dir, env);
      expect(blocked.status).not.toBe(0);
      expect(blocked.stdout + blocked.stderr, blocked.stdout + blocked.stderr).toMatch(/google-api-key/);
      r.git('rm', '-q', '--cached', 'src/config.js');
      r.write('README.md', 'hi\n').add('README.md');
      expect(run('git', ['commit', '-q', '-m', `token ${fake.githubPat()}`], r.dir, env).status).not.toBe(0);
      expect(run('git', ['commit', '-q', '-m', 'clean'], r.dir, env).status).toBe(0);
    },
    180_000,
  );

  it('npm pack prints the tarball name alone (what pre-commit reads), the prepare build included', () => {
    // in a copy: the prepare build replaces dist/, which the other tests run from
    const copy = projectCopy();
    symlinkSync(join(ROOT, 'node_modules'), join(copy.dir, 'node_modules'));
    const dest = tempDir('lg-pack-');
    const res = run('npm', ['pack', '--pack-destination', dest], copy.dir, process.env);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout.trim()).toMatch(/^leakguard-[\d.]+\.tgz$/);
    expect(existsSync(join(dest, res.stdout.trim()))).toBe(true);
  }, 120_000);
});

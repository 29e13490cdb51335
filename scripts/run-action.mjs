#!/usr/bin/env node
// Runs the steps of action.yml here, the way a GitHub runner would, so the action can be tested
// (and tried) without GitHub:
//
//   node scripts/run-action.mjs --workdir REPO --event pull_request --pr-base SHA [--input name=value ...]
//
// `run` steps execute with bash (-eo pipefail, as the runner does) in REPO, with the step's env,
// GITHUB_OUTPUT and GITHUB_ACTION_PATH (this checkout); `${{ }}` expressions over inputs, github
// and steps are evaluated, as are `if:` conditions. `uses` steps (the SARIF upload) cannot run
// outside GitHub: they are listed with the inputs they would get. Prints the steps as JSON and
// exits 1 when a step failed, as the job would.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';

const ROOT = resolve(import.meta.dirname, '..');
const yaml = createRequire(import.meta.url)('js-yaml');

const argv = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? dflt : argv[i + 1];
};
const workdir = resolve(flag('workdir', '.'));
const action = yaml.load(readFileSync(join(ROOT, 'action.yml'), 'utf8'));

const inputs = Object.fromEntries(Object.entries(action.inputs ?? {}).map(([k, v]) => [k, String(v.default ?? '')]));
argv.forEach((a, i) => {
  if (argv[i - 1] !== '--input') return;
  const eq = a.indexOf('=');
  if (eq < 1 || !(a.slice(0, eq) in inputs)) {
    console.error(`run-action: unknown input '${a}'`);
    process.exit(2);
  }
  inputs[a.slice(0, eq)] = a.slice(eq + 1);
});
const event = flag('event', 'workflow_dispatch');
const github = {
  event_name: event,
  action_path: ROOT,
  event: {
    ...(flag('pr-base') ? { pull_request: { base: { sha: flag('pr-base') } } } : {}),
    ...(flag('before') ? { before: flag('before'), after: flag('after', '') } : {}),
  },
};
const steps = {};
let failed = false;

function lookup(path) {
  const [head, ...rest] = path.split('.');
  let v = { inputs, github, steps }[head];
  for (const k of rest) v = v?.[k];
  return v ?? '';
}

/** The expression language as far as action.yml uses it: contexts, string literals, ==, !=, &&, ||, !, always() and success(). */
function evaluate(expr) {
  const tokens = expr.match(/'(?:[^']|'')*'|==|!=|&&|\|\||!|\(|\)|[\w.-]+\(\)|[\w.-]+/g) ?? [];
  let i = 0;
  const primary = () => {
    const t = tokens[i++];
    if (t === '(') {
      const v = or();
      i++;
      return v;
    }
    if (t === '!') return !truthy(primary());
    if (t === 'always()') return true;
    if (t === 'success()') return !failed;
    if (t === 'failure()') return failed;
    if (t?.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
    if (t === 'true' || t === 'false') return t === 'true';
    return lookup(t);
  };
  const compare = () => {
    let v = primary();
    while (tokens[i] === '==' || tokens[i] === '!=') {
      const op = tokens[i++];
      const w = primary();
      v = op === '==' ? String(v) === String(w) : String(v) !== String(w);
    }
    return v;
  };
  const and = () => {
    let v = compare();
    while (tokens[i] === '&&') {
      i++;
      const w = compare();
      v = truthy(v) && truthy(w);
    }
    return v;
  };
  const or = () => {
    let v = and();
    while (tokens[i] === '||') {
      i++;
      const w = and();
      v = truthy(v) || truthy(w);
    }
    return v;
  };
  return or();
}
const truthy = (v) => v !== '' && v !== false && v !== undefined && v !== null;
const substitute = (s) => String(s).replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_m, e) => String(evaluate(e)));

const report = [];
for (const step of action.runs.steps) {
  const cond = step.if
    ? /\b(always|failure)\(\)/.test(step.if) || !failed
      ? truthy(evaluate(step.if))
      : false
    : !failed;
  if (!cond) {
    report.push({ name: step.name, skipped: true });
    continue;
  }
  if (step.uses) {
    report.push({
      name: step.name,
      uses: step.uses,
      with: Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, substitute(v)])),
    });
    continue;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'lg-action-'));
  const output = join(tmp, 'output');
  writeFileSync(output, '');
  const env = { ...process.env, GITHUB_OUTPUT: output, GITHUB_ACTION_PATH: ROOT };
  for (const [k, v] of Object.entries(step.env ?? {})) env[k] = substitute(v);
  const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', substitute(step.run)], {
    cwd: workdir,
    env,
    encoding: 'utf8',
  });
  process.stderr.write(r.stdout + r.stderr);
  const outputs = {};
  for (const line of readFileSync(output, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) outputs[line.slice(0, eq)] = line.slice(eq + 1);
  }
  rmSync(tmp, { recursive: true, force: true });
  if (step.id) steps[step.id] = { outputs };
  report.push({ name: step.name, exitCode: r.status, outputs });
  if (r.status !== 0) failed = true;
}
process.stdout.write(`${JSON.stringify({ steps: report }, null, 2)}\n`);
process.exitCode = failed ? 1 : 0;

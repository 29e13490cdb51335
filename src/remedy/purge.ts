/** `leakguard purge`: plan the rewrite, and the two helpers its script calls (replacements, verify). */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scan, type ScanOptions } from '../api.js';
import { LeakguardError } from '../errors.js';
import { gitRaw } from '../sources/git.js';
import type { Finding } from '../types.js';
import { buildPlan, replaceTextLines, replacementsFor, type Plan } from './plan.js';
import { describeFinding, freshScan, readExpressions, verifyRewrite, type VerifyResult } from './verify.js';
export { runStep } from './execute.js';

/** A saved JSON report, checked to be a history report of this very repository. */
export async function readReport(file: string, root: string): Promise<Finding[]> {
  let doc: { findings?: unknown; target?: { mode?: string } };
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LeakguardError(
      code === 'ENOENT'
        ? `cannot read report ${file}: no such file`
        : `report ${file} is not valid JSON (write one with leakguard scan --history --format json)`,
    );
  }
  if (!doc || !Array.isArray(doc.findings))
    throw new LeakguardError(
      `report ${file} has no findings list (write one with leakguard scan --history --format json)`,
    );
  if (doc.target?.mode !== 'history')
    throw new LeakguardError(
      `report ${file} is not a history scan; purge plans need leakguard scan --history --format json`,
    );
  const findings = doc.findings as Finding[];
  for (const f of findings) {
    if (typeof f?.ruleId !== 'string' || typeof f.path !== 'string' || typeof f.fingerprint !== 'string') {
      throw new LeakguardError(`report ${file} has a malformed finding (ruleId, path and fingerprint are required)`);
    }
  }
  const commits = [...new Set(findings.map((f) => f.commit).filter((c): c is string => typeof c === 'string'))].slice(
    0,
    20,
  );
  for (const c of commits) {
    const r = await gitRaw(['cat-file', '-e', `${c}^{commit}`], { cwd: root });
    if (r.code !== 0)
      throw new LeakguardError(`report ${file} is from another repository: commit ${c} is not in ${root}`);
  }
  return findings;
}

export async function makePlan(opts: ScanOptions & { from?: string }): Promise<Plan> {
  const work = await scan({ ...opts, history: true, redact: false });
  const root = work.target.root;
  const findings = opts.from ? await readReport(opts.from, root) : work.findings;
  return buildPlan(root, findings, work.ruleset, work.repo.bare);
}

/** Writes filter-repo's expressions file (mode 600) from a fresh scan: the plan itself holds no secret. */
export async function writeReplacements(file: string, planFile: string, opts: ScanOptions): Promise<number> {
  const plan = JSON.parse(readFileSync(planFile, 'utf8')) as Plan;
  const report = await scan({ ...opts, history: true, redact: false });
  const chosen = replacementsFor(report.findings, plan.removePaths);
  writeFileSync(file, replaceTextLines(chosen), { mode: 0o600 });
  chmodSync(file, 0o600);
  return chosen.length;
}

/** Compares a rewritten repository with the one it came from (both local): the script's rewrite step, on its own. */
export async function verify(opts: {
  planFile: string;
  newRepo: string;
  oldRepo?: string;
  replacements?: string;
}): Promise<VerifyResult> {
  let plan: Plan;
  try {
    plan = JSON.parse(readFileSync(opts.planFile, 'utf8')) as Plan;
  } catch {
    throw new LeakguardError(`cannot read plan ${opts.planFile}`);
  }
  if (!existsSync(opts.newRepo)) throw new LeakguardError(`no repository at ${opts.newRepo}`);
  const cfg = join(plan.repository.root, '.leakguard.yml');
  const scanOpts = { config: existsSync(cfg) ? cfg : undefined };
  if (!opts.oldRepo) {
    const findings = await freshScan(opts.newRepo, scanOpts);
    return {
      problems: findings.map((f) => describeFinding(f, 'still present')),
      refsChecked: 0,
      findingsChecked: findings.length,
    };
  }
  return verifyRewrite({
    backup: opts.oldRepo,
    rewritten: opts.newRepo,
    removePaths: plan.removePaths,
    replacements: plan.replacements.map((r) => ({ ...r, secret: '' })),
    apply: opts.replacements ? readExpressions(opts.replacements) : undefined,
    scan: scanOpts,
  });
}

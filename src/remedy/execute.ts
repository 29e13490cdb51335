/**
 * The steps the generated purge script runs, one command each: back up every remote into its own
 * namespace, rewrite and verify a disposable copy, and push each remote exactly its own refs back,
 * atomically where the server can, then verify what the remote now serves with a fresh scan.
 * Progress is kept in a state file next to the backup, so running the same script again resumes.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config.js';
import { LeakguardError } from '../errors.js';
import { git, gitComplaint, gitRaw } from '../sources/git.js';
import { inMessages, replaceTextLines, replacementsFor, type PathTarget, type Plan } from './plan.js';
import { rekeyNotes } from './notes.js';
import { restoreNamespacedTags } from './tags.js';
import { resolveTargets } from './remotes.js';
import { readState, writeState, type PurgeState, type TargetState } from './state.js';
import { describeFinding, freshScan, listRefs, verifyRewrite } from './verify.js';

export interface StepContext {
  /** The repository the plan was made for (work tree top, or the git directory of a bare one). */
  repo: string;
  /** plan.json, in the script's private temporary directory (paths.txt and expressions.txt go beside it). */
  planFile: string;
  /** Backup, rewrite and state live here. */
  stateDir: string;
  /** The command that runs the same script again, for messages that say how to resume. */
  resume: string;
}

const say = (line: string) => process.stderr.write(`leakguard: ${line}\n`);

function readPlan(file: string): Plan {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Plan;
  } catch {
    throw new LeakguardError(`cannot read plan ${file}`);
  }
}

/** A short id of the plan's content: the state of another plan is never resumed by this one. */
export function planId(plan: Omit<Plan, 'replacements'> & { replacements: unknown[] }): string {
  const stable = JSON.stringify({ ...plan, filterRepo: undefined, steps: undefined });
  return createHash('sha256').update(stable).digest('hex').slice(0, 12);
}

async function scanOptions(repo: string) {
  const cfg = join(repo, '.leakguard.yml');
  const config = existsSync(cfg) ? cfg : undefined;
  const loaded = await loadConfig(existsSync(cfg) ? repo : undefined, config).catch(() => undefined);
  const baseline = loaded?.baseline ? resolve(repo, loaded.baseline) : undefined;
  return { config, baseline: baseline && existsSync(baseline) ? baseline : undefined };
}

const backupDir = (c: StepContext) => join(c.stateDir, 'backup.git');
const rewrittenDir = (c: StepContext) => join(c.stateDir, 'rewritten.git');

function loadState(c: StepContext): PurgeState {
  const s = readState(c.stateDir);
  if (!s) throw new LeakguardError(`no purge state in ${c.stateDir}: run the whole script (${c.resume})`);
  return s;
}

/** ref -> id under a namespace, with the namespace taken off (the names the remote itself uses). */
async function namespaceRefs(repo: string, ns: string): Promise<Record<string, string>> {
  const refs = await listRefs(repo, `${ns}/`);
  const out: Record<string, string> = {};
  for (const [name, v] of refs) out[`refs/${name.slice(ns.length + 1)}`] = v.oid;
  return out;
}

/** Step 3: a mirror of this repository, and every remote (push and fetch URLs) fetched whole into its own namespace. */
export async function stepBackup(c: StepContext): Promise<number> {
  const plan = readPlan(c.planFile);
  const id = planId(plan);
  const existing = readState(c.stateDir);
  if (existing) {
    if (existing.planId !== id)
      throw new LeakguardError(
        `${c.stateDir} holds the state of another plan; set LEAKGUARD_BACKUP_DIR elsewhere or move it away`,
      );
    say(`resuming: the backup of ${existing.created} is kept (${backupDir(c)})`);
    return 0;
  }
  const started = Date.now();
  mkdirSync(c.stateDir, { recursive: true, mode: 0o700 });
  rmSync(backupDir(c), { recursive: true, force: true });
  await git(['clone', '-q', '--mirror', '--no-local', c.repo, backupDir(c)], c.stateDir);
  const targets = await resolveTargets(
    c.repo,
    plan.repository.remotes.map((r) => r.name),
  );
  const states: TargetState[] = [];
  for (const t of targets) {
    // --no-tags: tags come only through the refspec, into this remote's own namespace
    const r = await gitRaw(['fetch', '-q', '--no-tags', '--no-write-fetch-head', t.url, `+refs/*:${t.ns}/*`], {
      cwd: backupDir(c),
    });
    if (r.code !== 0) {
      rmSync(c.stateDir, { recursive: true, force: true });
      throw new LeakguardError(
        `backing up ${t.remote} (${t.display}) failed: ${gitComplaint(r.stderr)}; nothing was changed`,
      );
    }
    const refs = await namespaceRefs(backupDir(c), t.ns);
    states.push({ ...t, status: 'planned', refs });
    say(
      `backed up ${t.remote} ${t.role === 'push' ? '' : '(fetch URL, not pushed to) '}${t.display}: ${Object.keys(refs).length} refs`,
    );
  }
  writeState(c.stateDir, {
    tool: 'leakguard',
    planId: id,
    created: new Date().toISOString(),
    phase: 'backed-up',
    targets: states,
  });
  say(`timing: backup (mirror clone and ${targets.length} fetch(es)) ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

function readPaths(c: StepContext): PathTarget[] {
  const file = join(c.planFile, '..', 'paths.txt');
  const specs = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('#'))
    : [];
  return specs.map((spec) => ({ spec, ruleId: '', reason: '', paths: [] }));
}

function runFilterRepo(cwd: string, args: string[]): Promise<number> {
  return new Promise((res, rej) => {
    const child = spawn('git', ['filter-repo', ...args], { cwd, stdio: ['ignore', 2, 2] });
    child.on('error', rej);
    child.on('close', (code) => res(code ?? 1));
  });
}

/** Step 4-5: the rewrite, in a disposable copy of the backup, then its verification. Nothing is pushed here. */
export async function stepRewrite(c: StepContext): Promise<number> {
  const plan = readPlan(c.planFile);
  const state = loadState(c);
  if (state.phase === 'rewritten' && existsSync(rewrittenDir(c))) {
    say(`resuming: the rewrite was made and verified before (${rewrittenDir(c)})`);
    return 0;
  }
  const started = Date.now();
  const work = rewrittenDir(c);
  rmSync(work, { recursive: true, force: true });
  await git(['clone', '-q', '--mirror', '--no-local', backupDir(c), work], c.stateDir);
  const cloned = Date.now() - started;
  // this clone's remote-tracking refs are stale copies of what each remote's namespace holds exactly
  const stale = (await git(['for-each-ref', '--format=delete %(refname)', 'refs/remotes/'], work)).toString('utf8');
  if (stale.trim()) await git(['update-ref', '--stdin'], work, stale);
  const removePaths = readPaths(c);
  const opts = await scanOptions(c.repo);
  // what to replace comes from a scan of the backup: every remote's refs, not only what this clone has
  const t0 = Date.now();
  const findings = await freshScan(backupDir(c), opts);
  const replacements = replacementsFor(findings, removePaths);
  const scanned = Date.now() - t0;
  const dir = join(c.planFile, '..');
  const expressions = join(dir, 'expressions.txt');
  writeFileSync(expressions, replacements.length ? replaceTextLines(replacements) : '', { mode: 0o600 });
  chmodSync(expressions, 0o600);
  const args = [
    '--force',
    ...(plan.filterRepo.sdr ? ['--sensitive-data-removal'] : ['--replace-refs', 'delete-no-add']),
  ];
  if (removePaths.length) args.push('--invert-paths', '--paths-from-file', join(dir, 'paths.txt'));
  if (replacements.length) args.push('--replace-text', expressions);
  if (inMessages(replacements)) args.push('--replace-message', expressions);
  say(
    `rewriting: ${removePaths.length} path rule(s), ${replacements.length} secret(s) replaced in place${inMessages(replacements) ? ' (messages included)' : ''}`,
  );
  process.stderr.write(`+ git filter-repo ${args.join(' ')}\n`);
  const t1 = Date.now();
  const code = await runFilterRepo(work, args);
  const filtered = Date.now() - t1;
  if (code !== 0) throw new LeakguardError(`git filter-repo failed (exit ${code}); nothing was pushed`);
  const t2 = Date.now();
  const tags = await restoreNamespacedTags(backupDir(c), work, c.stateDir);
  if (tags) say(`${tags} annotated tag(s) put back in their remotes' namespaces`);
  const notes = await rekeyNotes(work);
  if (notes) say(`notes re-attached to the rewritten commits: ${notes}`);
  const fixed = Date.now() - t2;
  const v = await verifyRewrite({ backup: backupDir(c), rewritten: work, removePaths, replacements, scan: opts });
  for (const p of v.problems) say(`verify: ${p}`);
  say(
    `verify: ${v.problems.length ? `FAILED with ${v.problems.length} problem(s)` : 'passed'} (fresh scan of the rewrite: ${v.findingsChecked} finding(s); ${v.refsChecked} refs compared)`,
  );
  const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  say(
    `timing: clone ${sec(cloned)}, scan of the backup ${sec(scanned)}, filter-repo ${sec(filtered)}, tags and notes put back ${sec(fixed)}, verification ${sec(Date.now() - t2 - fixed)}, rewrite step ${sec(Date.now() - started)}`,
  );
  if (v.problems.length) {
    say(
      'verification failed: nothing was pushed. The backup and this clone are unchanged. If a finding above is on a branch only a remote has, fetch it here and make a new plan; if it is meant to stay, allowlist it in .leakguard.yml',
    );
    return 1;
  }
  state.phase = 'rewritten';
  writeState(c.stateDir, state);
  return 0;
}

/** What `git ls-remote` lists: ref -> id, peeled lines left out. */
async function lsRemote(url: string, cwd: string): Promise<Map<string, string>> {
  const r = await gitRaw(['ls-remote', url], { cwd });
  if (r.code !== 0) throw new LeakguardError(`git ls-remote ${url} failed: ${gitComplaint(r.stderr)}`);
  const out = new Map<string, string>();
  for (const line of r.stdout.toString('utf8').split('\n')) {
    const [oid, name] = line.split('\t');
    if (oid && name && name.startsWith('refs/') && !name.endsWith('^{}')) out.set(name, oid);
  }
  return out;
}

interface Porcelain {
  flag: string;
  dst: string;
  summary: string;
}
function porcelain(out: string): Porcelain[] {
  return out
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((p) => p.length >= 3 && p[1]!.includes(':'))
    .map(([flag, ref, summary]) => ({ flag: flag!, dst: ref!.slice(ref!.lastIndexOf(':') + 1), summary: summary! }));
}

function progress(state: PurgeState): string {
  const push = state.targets.filter((t) => t.role === 'push');
  const done = push.filter((t) => t.status === 'verified').map((t) => t.remote);
  const left = push.filter((t) => t.status !== 'verified').map((t) => t.remote);
  return `already done: ${done.length ? done.join(', ') : 'none'}; not yet: ${left.join(', ') || 'none'}`;
}

/** Whether every push target of this remote is verified (the script skips its manual steps then). */
export function stepIsDone(c: StepContext, remote: string): number {
  const s = readState(c.stateDir);
  const mine = s?.targets.filter((t) => t.remote === remote && t.role === 'push') ?? [];
  return mine.length && mine.every((t) => t.status === 'verified') ? 0 : 1;
}

/** Step 6, per remote: push each of its push targets its own refs, rewritten, then verify what it serves. */
export async function stepPush(c: StepContext, remote: string): Promise<number> {
  const state = loadState(c);
  if (state.phase !== 'rewritten') throw new LeakguardError('the rewrite has not been verified: nothing is pushed');
  for (const t of state.targets.filter((x) => x.remote === remote && x.role === 'push')) {
    if (t.status === 'verified') {
      say(`${t.remote} (${t.display}): already rewritten and verified`);
      continue;
    }
    const t0 = Date.now();
    if (t.status === 'planned') {
      const code = await pushTarget(c, state, t);
      if (code) return code;
    }
    const t1 = Date.now();
    const v = await verifyTarget(c, state, t);
    if (v) return v;
    say(
      `timing: ${t.remote}: push ${((t1 - t0) / 1000).toFixed(1)} s, fetch and fresh scan of what it serves ${((Date.now() - t1) / 1000).toFixed(1)} s`,
    );
  }
  return 0;
}

async function pushTarget(c: StepContext, state: PurgeState, t: TargetState): Promise<number> {
  const work = rewrittenDir(c);
  const rewritten = await namespaceRefs(work, t.ns);
  const served = await lsRemote(t.url, work);
  const updates: { ref: string; old: string; now?: string }[] = [];
  const conflicts: string[] = [];
  for (const [ref, old] of Object.entries(t.refs)) {
    const now = rewritten[ref];
    const there = served.get(ref);
    if (now === old) continue; // untouched by the rewrite
    if (there === now) continue; // already rewritten there (an earlier run)
    if (there !== old) {
      conflicts.push(
        `${ref} (${there ? `now ${there.slice(0, 12)}` : 'deleted'} on the remote, ${old.slice(0, 12)} in the backup)`,
      );
      continue;
    }
    updates.push({ ref, old, now });
  }
  if (conflicts.length) {
    say(
      `${t.remote} (${t.display}) changed since the backup, so nothing was pushed to it (its new work would be lost): ${conflicts.join('; ')}`,
    );
    say(`${progress(state)}. Reconcile those refs, then make a new plan for the rest`);
    return 1;
  }
  if (!updates.length) {
    say(`${t.remote} (${t.display}): every ref already equals the rewrite`);
    t.status = 'pushed';
    writeState(c.stateDir, state);
    return 0;
  }
  // each update is leased on the id the backup holds: a ref someone moved since is never overwritten,
  // and a ref the backup lacks is never deleted
  const specs = (list: typeof updates) =>
    list.flatMap((u) => [
      `--force-with-lease=${u.ref}:${u.old}`,
      `${u.now ? `${t.ns}/${u.ref.slice(5)}` : ''}:${u.ref}`,
    ]);
  // A ref the server advertises to fetches but hides from pushes (GitHub's refs/pull/*) fails its
  // lease before anything is sent ("stale info": receive-pack does not list it). Such refs are left
  // to the forge and the push is made again without them; an atomic push changed nothing meanwhile.
  const hidden = new Set<string>();
  let atomic = true;
  let toPush = updates;
  let r: Awaited<ReturnType<typeof gitRaw>> | undefined;
  for (let attempt = 0; attempt < 3 && toPush.length; attempt++) {
    r = await gitRaw(['push', '--porcelain', ...(atomic ? ['--atomic'] : []), t.url, ...specs(toPush)], { cwd: work });
    if (r.code !== 0 && atomic && /does not support --atomic/i.test(r.stderr)) {
      atomic = false;
      say(
        `${t.remote}: the server does not support atomic pushes, so refs are updated one by one (a rejection can leave some updated; re-running resumes)`,
      );
      attempt--;
      continue;
    }
    if (r.code === 0) break;
    const stale = porcelain(r.stdout.toString('utf8')).filter(
      (p) => p.flag === '!' && /stale info/.test(p.summary) && served.get(p.dst) === t.refs[p.dst],
    );
    if (!stale.length) break;
    for (const p of stale) hidden.add(p.dst);
    toPush = updates.filter((u) => !hidden.has(u.ref));
    r = undefined;
  }
  t.forgeRefs = [...hidden].sort();
  if (hidden.size)
    say(
      `${t.remote}: ${hidden.size} ref(s) the server does not let a push update (they need the forge's support): ${t.forgeRefs.slice(0, 5).join(', ')}${hidden.size > 5 ? ' ...' : ''}`,
    );
  t.atomic = atomic;
  if (r && r.code !== 0) {
    const rejected = porcelain(r.stdout.toString('utf8')).filter((p) => p.flag === '!');
    const reasons = [...new Set(rejected.map((p) => `${p.dst} ${p.summary}`))].slice(0, 5);
    const server = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('remote:'))
      .map((l) => l.slice(7).trim())
      .filter(Boolean)
      .slice(0, 5);
    process.stderr.write(
      `push to ${t.remote} (${t.display}) was rejected${atomic ? ' (atomic: nothing on it changed)' : ''}: ${reasons.join('; ') || gitComplaint(r.stderr)}\n`,
    );
    if (server.length) process.stderr.write(`the server said: ${server.join(' / ')}\n`);
    process.stderr.write(
      `${progress(state)}.\nThe backup and the verified rewrite are kept in ${c.stateDir}. When the cause is lifted, resume with:\n  ${c.resume}\n`,
    );
    writeState(c.stateDir, state);
    return 1;
  }
  say(`pushed ${toPush.length} ref(s) to ${t.remote} (${t.display})${atomic ? ' atomically' : ''}`);
  t.status = 'pushed';
  writeState(c.stateDir, state);
  return 0;
}

/** What the remote now serves, fetched whole into a scratch repository and scanned afresh. */
async function verifyTarget(c: StepContext, state: PurgeState, t: TargetState): Promise<number> {
  const work = rewrittenDir(c);
  const check = join(c.stateDir, `check-${state.targets.indexOf(t)}.git`);
  rmSync(check, { recursive: true, force: true });
  await git(['init', '-q', '--bare', check], c.stateDir);
  // objects the rewrite already has are not transferred again; anything else the remote serves is
  mkdirSync(join(check, 'objects', 'info'), { recursive: true });
  writeFileSync(join(check, 'objects', 'info', 'alternates'), `${join(work, 'objects')}\n`);
  const problems: string[] = [];
  try {
    const f = await gitRaw(['fetch', '-q', '--no-tags', '--no-write-fetch-head', t.url, '+refs/*:refs/*'], {
      cwd: check,
    });
    if (f.code !== 0)
      throw new LeakguardError(`fetching ${t.remote} (${t.display}) to verify it failed: ${gitComplaint(f.stderr)}`);
    const served = await listRefs(check);
    const rewritten = await namespaceRefs(work, t.ns);
    const forge = new Set(t.forgeRefs ?? []);
    for (const ref of Object.keys(t.refs)) {
      if (forge.has(ref)) continue;
      const there = served.get(ref)?.oid;
      if (!there) problems.push(`${ref} was on ${t.remote} before and is gone`);
      else if (rewritten[ref] && there !== rewritten[ref] && there !== t.refs[ref])
        problems.push(`${ref} on ${t.remote} is neither the rewrite nor the backup`);
      else if (rewritten[ref] && there !== rewritten[ref])
        problems.push(`${ref} on ${t.remote} still points at the old history`);
    }
    const gained = [...served.keys()].filter((r) => !(r in t.refs));
    if (gained.length)
      say(
        `note: ${t.remote} has ${gained.length} ref(s) this purge did not push (pushed by someone since the backup?): ${gained.slice(0, 5).join(', ')}`,
      );
    // every object is named by its content: refs that all point at ids of the rewrite, which was
    // scanned in full before the push, serve exactly what was scanned; anything else is scanned here
    const verifiedIds = new Set([...(await listRefs(work)).values()].map((v) => v.oid));
    const alreadyScanned = [...served.values()].every((v) => verifiedIds.has(v.oid));
    const findings = alreadyScanned ? [] : await freshScan(check, await scanOptions(c.repo));
    if (alreadyScanned)
      say(
        `${t.remote}: every ref it serves points at an object of the verified rewrite, so what it serves was scanned in full before the push`,
      );
    const forgeOnly: string[] = [];
    for (const x of findings) {
      const refs = x.refs ?? [];
      if (refs.length && refs.every((r) => forge.has(r)) && (x.refsTotal ?? refs.length) === refs.length)
        forgeOnly.push(describeFinding(x, 'left behind refs the forge must remove'));
      else problems.push(describeFinding(x, `still served by ${t.remote}`));
    }
    for (const p of forgeOnly) say(`${t.remote}: ${p}`);
    say(
      `verify ${t.remote}: ${problems.length ? `FAILED with ${problems.length} problem(s)` : 'passed'} (${alreadyScanned ? 'the scan of the rewrite covers' : 'fresh scan of'} all ${served.size} refs it serves: ${findings.length} finding(s), ${forgeOnly.length} only behind refs the forge keeps)`,
    );
  } finally {
    rmSync(check, { recursive: true, force: true });
  }
  for (const p of problems) say(`verify ${t.remote}: ${p}`);
  if (t.forgeRefs?.length)
    process.stderr.write(
      `${t.remote} keeps refs the push cannot rewrite (they still reach the old commits; ask the forge):\n${t.forgeRefs.join('\n')}\n`,
    );
  if (problems.length) {
    process.stderr.write(
      `verification of ${t.remote} (${t.display}) failed. ${progress(state)}. Resume with: ${c.resume}\n`,
    );
    return 1;
  }
  t.status = 'verified';
  writeState(c.stateDir, state);
  return 0;
}

/** For the script's last line: which remotes are done, and what is left. */
export function stepSummary(c: StepContext): number {
  const s = loadState(c);
  say(progress(s));
  for (const t of s.targets.filter((x) => x.role === 'fetch-only'))
    say(
      `${t.remote} fetches from ${t.display}, which no push reaches: it was backed up and still holds the old history; rewrite it there separately`,
    );
  return s.targets.every((t) => t.role !== 'push' || t.status === 'verified') ? 0 : 1;
}

export async function runStep(step: string, c: StepContext): Promise<number> {
  const [name, arg] = [step.split(':')[0], step.slice(step.indexOf(':') + 1)];
  switch (name) {
    case 'backup':
      return stepBackup(c);
    case 'rewrite':
      return stepRewrite(c);
    case 'push':
      return stepPush(c, arg);
    case 'done':
      return stepIsDone(c, arg);
    case 'summary':
      return stepSummary(c);
    default:
      throw new LeakguardError(`unknown purge step ${step}`);
  }
}

/**
 * Baselines: accepted findings, sorted and without timestamps so the file only changes when the
 * set of accepted findings does. A baseline is committed, so it never holds a secret nor anything a
 * dictionary can turn back into one: each fingerprint is keyed (HMAC) with a key kept outside the
 * file, in the repository's git directory or LEAKGUARD_BASELINE_KEY (see keyedFingerprint).
 * Version 1 files (plain fingerprints) and saved JSON reports are still read.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LeakguardError } from '../errors.js';
import type { Finding } from '../types.js';
import { keyedFingerprint, keyId, randomKey } from './fingerprint.js';

export const BASELINE_FILE = '.leakguard-baseline.json';
export const BASELINE_KEY_ENV = 'LEAKGUARD_BASELINE_KEY';

export interface BaselineEntry {
  fingerprint: string;
  ruleId: string;
  path: string;
}
/** In memory the entries hold plain fingerprints; writeBaseline keys them. */
export interface BaselineDocument {
  tool: 'leakguard';
  version: 1 | 2;
  hash?: 'hmac-sha256';
  key?: string;
  entries: BaselineEntry[];
}

export function baselineFromFindings(findings: Finding[]): BaselineDocument {
  const byFp = new Map<string, BaselineEntry>();
  for (const f of findings) {
    byFp.set(f.fingerprint, { fingerprint: f.fingerprint, ruleId: f.ruleId, path: f.path });
    // a history finding is accepted at every path it occurs at
    for (const o of f.occurrences ?? [])
      byFp.set(o.fingerprint, { fingerprint: o.fingerprint, ruleId: f.ruleId, path: o.path });
  }
  return { tool: 'leakguard', version: 1, entries: sortEntries([...byFp.values()]) };
}

function sortEntries(entries: BaselineEntry[]): BaselineEntry[] {
  return entries.sort((a, b) =>
    a.path < b.path
      ? -1
      : a.path > b.path
        ? 1
        : a.ruleId < b.ruleId
          ? -1
          : a.ruleId > b.ruleId
            ? 1
            : a.fingerprint < b.fingerprint
              ? -1
              : 1,
  );
}

/** The git directory shared by every work tree of the repository holding `dir`, found without running git. */
function commonGitDir(dir: string): string | undefined {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const dotgit = join(d, '.git');
    if (existsSync(dotgit)) {
      let gitDir = dotgit;
      if (statSync(dotgit).isFile()) {
        const m = /^gitdir: (.+)$/m.exec(readFileSync(dotgit, 'utf8'));
        if (!m) return undefined;
        gitDir = resolve(d, m[1]!.trim());
      }
      const common = join(gitDir, 'commondir');
      return existsSync(common) ? resolve(gitDir, readFileSync(common, 'utf8').trim()) : gitDir;
    }
    if (existsSync(join(d, 'HEAD')) && existsSync(join(d, 'objects')) && existsSync(join(d, 'refs'))) return d; // bare
    if (dirname(d) === d) return undefined;
  }
}

const keyFile = (baseline: string) => {
  const gitDir = commonGitDir(dirname(resolve(baseline)));
  return gitDir ? join(gitDir, 'leakguard', 'baseline.key') : undefined;
};

function parseKey(text: string, where: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-f]{64}$/i.test(t)) return Buffer.from(t, 'hex');
  throw new LeakguardError(`the baseline key in ${where} is not 64 hex digits`);
}

/** The key from LEAKGUARD_BASELINE_KEY, else the key file in the git directory; created there when `create`. */
export function baselineKey(baseline: string, create: boolean): { key?: Buffer; created?: string } {
  const env = process.env[BASELINE_KEY_ENV];
  if (env) return { key: parseKey(env, BASELINE_KEY_ENV) };
  const file = keyFile(baseline);
  if (file && existsSync(file)) return { key: parseKey(readFileSync(file, 'utf8'), file) };
  if (!create) return {};
  if (!file)
    throw new LeakguardError(
      `a baseline outside a git repository needs its key in ${BASELINE_KEY_ENV} (64 hex digits)`,
    );
  const key = randomKey();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600 });
  return { key, created: file };
}

/** Writes the version 2 form: every fingerprint keyed. Returns the key file when it had to be created. */
export function writeBaseline(file: string, doc: BaselineDocument): { keyCreated?: string } {
  const { key, created } = baselineKey(file, true);
  const keyed =
    doc.version === 2
      ? doc.entries
      : doc.entries.map((e) => ({ ...e, fingerprint: keyedFingerprint(key!, e.fingerprint) }));
  const out: BaselineDocument = {
    tool: 'leakguard',
    version: 2,
    hash: 'hmac-sha256',
    key: keyId(key!),
    entries: sortEntries(keyed),
  };
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  if (created)
    process.stderr.write(
      `leakguard: the baseline's fingerprints are keyed; the key was created in ${created} (never commit it). Scans elsewhere (CI, other clones) need it: ${BASELINE_KEY_ENV}=<its 64 hex digits>\n`,
    );
  return { keyCreated: created };
}

/**
 * Accepted fingerprints. `has` takes the plain fingerprint the scan computes and also looks for its
 * keyed form, so the engine asks the same question of old and new baselines.
 */
export class Baseline extends Set<string> {
  private key?: Buffer;
  /** Keyed entries sit in the same set (so `size` counts them): a keyed and a plain fingerprint never collide in practice. */
  constructor(fingerprints: Iterable<string>, key?: Buffer) {
    super(fingerprints);
    this.key = key;
  }
  override has(fp: string): boolean {
    return super.has(fp) || (this.key !== undefined && super.has(keyedFingerprint(this.key, fp)));
  }
}

/** Reads a baseline file (version 1 or 2), or a saved leakguard JSON report (its findings' fingerprints). */
export function readBaseline(file: string): Set<string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new LeakguardError(
      `cannot read baseline ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new LeakguardError(`baseline ${file} is not valid JSON (create one with 'leakguard baseline')`);
  }
  const o = doc as { entries?: unknown; findings?: unknown; hash?: unknown; key?: unknown };
  const list = Array.isArray(o?.entries) ? o.entries : Array.isArray(o?.findings) ? o.findings : undefined;
  if (!list)
    throw new LeakguardError(
      `baseline ${file} has neither 'entries' nor 'findings' (create one with 'leakguard baseline')`,
    );
  const fps: string[] = [];
  for (const e of list) {
    const fp = (e as { fingerprint?: unknown })?.fingerprint;
    if (typeof fp === 'string') fps.push(fp);
  }
  if (o.hash === undefined) return new Baseline(fps);
  if (o.hash !== 'hmac-sha256')
    throw new LeakguardError(
      `baseline ${file} uses a hash this leakguard does not know (${String(o.hash)}); upgrade leakguard`,
    );
  const { key } = baselineKey(file, false);
  if (!key)
    throw new LeakguardError(
      `baseline ${file} is keyed (key ${String(o.key)}) and the key is not here: set ${BASELINE_KEY_ENV} to it (it is in .git/leakguard/baseline.key of the clone that wrote the baseline)`,
    );
  if (o.key !== undefined && o.key !== keyId(key))
    throw new LeakguardError(
      `baseline ${file} was written with key ${String(o.key)}, not the one here (${keyId(key)}): set ${BASELINE_KEY_ENV} to the right key, or record the baseline again`,
    );
  return new Baseline(fps, key);
}

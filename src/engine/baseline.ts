/**
 * Baselines: accepted findings, stored as fingerprints (hashes, never secrets), sorted and without
 * timestamps so the file only changes when the set of accepted findings does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { LeakguardError } from '../errors.js';
import type { Finding } from '../types.js';

export const BASELINE_FILE = '.leakguard-baseline.json';

export interface BaselineEntry { fingerprint: string; ruleId: string; path: string }
export interface BaselineDocument { tool: 'leakguard'; version: 1; entries: BaselineEntry[] }

export function baselineFromFindings(findings: Finding[]): BaselineDocument {
  const byFp = new Map<string, BaselineEntry>();
  for (const f of findings) {
    byFp.set(f.fingerprint, { fingerprint: f.fingerprint, ruleId: f.ruleId, path: f.path });
    // a history finding is accepted at every path it occurs at
    for (const o of f.occurrences ?? []) byFp.set(o.fingerprint, { fingerprint: o.fingerprint, ruleId: f.ruleId, path: o.path });
  }
  const entries = [...byFp.values()].sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : a.fingerprint < b.fingerprint ? -1 : 1);
  return { tool: 'leakguard', version: 1, entries };
}

export function writeBaseline(file: string, doc: BaselineDocument): void {
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
}

/** Reads a baseline file, or a saved leakguard JSON report (its findings' fingerprints). */
export function readBaseline(file: string): Set<string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new LeakguardError(`cannot read baseline ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new LeakguardError(`baseline ${file} is not valid JSON (create one with 'leakguard baseline')`);
  }
  const o = doc as { entries?: unknown; findings?: unknown };
  const list = Array.isArray(o?.entries) ? o.entries : Array.isArray(o?.findings) ? o.findings : undefined;
  if (!list) throw new LeakguardError(`baseline ${file} has neither 'entries' nor 'findings' (create one with 'leakguard baseline')`);
  const set = new Set<string>();
  for (const e of list) {
    const fp = (e as { fingerprint?: unknown })?.fingerprint;
    if (typeof fp === 'string') set.add(fp);
  }
  return set;
}

/**
 * The purge's progress on disk, next to the backup, so a script that stopped (a rejected push, a
 * closed terminal) resumes where it was when it is run again. It holds ref names, object ids and
 * URLs; never a secret.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LeakguardError } from '../errors.js';
import type { Target } from './remotes.js';

/** planned: backed up, not pushed; pushed: the remote took the rewrite; verified: a fresh scan of what it serves is clean. */
export type TargetStatus = 'planned' | 'pushed' | 'verified';

export interface TargetState extends Target {
  status: TargetStatus;
  /** The refs this repository advertised when it was backed up (its own names), with their ids. */
  refs: Record<string, string>;
  /** Refs the server would not let a push update (hidden from receive-pack, e.g. refs/pull/*), found at push time. */
  forgeRefs?: string[];
  atomic?: boolean;
}

export interface PurgeState {
  tool: 'leakguard';
  /** Which plan made this state: a different plan never resumes it. */
  planId: string;
  created: string;
  phase: 'backed-up' | 'rewritten';
  targets: TargetState[];
}

export const stateFile = (dir: string) => join(dir, 'state.json');

export function readState(dir: string): PurgeState | undefined {
  const file = stateFile(dir);
  if (!existsSync(file)) return undefined;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as PurgeState;
    if (s.tool !== 'leakguard' || !Array.isArray(s.targets)) throw new Error('not a purge state');
    return s;
  } catch {
    throw new LeakguardError(`the purge state ${file} is unreadable; move that directory away to start over`);
  }
}

/** Written to a temporary file and renamed over the old one, so a crash never leaves half a state. */
export function writeState(dir: string, s: PurgeState): void {
  const file = stateFile(dir);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

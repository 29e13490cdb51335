/**
 * The index: exactly what the next commit would contain. Content comes from the staged blobs, never
 * from the work tree, so a secret that is staged and then edited away on disk is still caught.
 */
import { LeakguardError } from '../errors.js';
import type { SourceItem } from '../types.js';
import { openObjects, type ObjectSource } from './catfile.js';
import { git, gitRaw, splitNul } from './git.js';
import type { SkipSink } from './worktree.js';

interface IndexEntry {
  mode: string;
  oid: string;
  path: string;
}

const NULL_OID = /^0+$/;

/**
 * Entries added or modified relative to HEAD; every entry when there is no commit yet. Paths are
 * relative to the top of the work tree whatever `cwd` is inside it.
 */
export async function stagedEntries(cwd: string): Promise<IndexEntry[]> {
  const r = await gitRaw(['diff-index', '--cached', '-z', '--raw', '--no-renames', '--no-abbrev', 'HEAD', '--'], {
    cwd,
  });
  const entries: IndexEntry[] = [];
  if (r.code === 0) {
    const parts = splitNul(r.stdout);
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const meta = parts[i]!.toString('utf8').split(' ');
      const status = meta[4]!;
      if (status.startsWith('D')) continue; // a deletion adds nothing to scan
      entries.push({ mode: meta[1]!, oid: meta[3]!, path: parts[i + 1]!.toString('utf8') });
    }
    return entries;
  }
  // No HEAD yet: the first commit will contain the whole index.
  const ls = await git(['ls-files', '-s', '-z'], cwd);
  for (const part of splitNul(ls)) {
    const tab = part.indexOf(9);
    const [mode, oid] = part.subarray(0, tab).toString('utf8').split(' ');
    entries.push({ mode: mode!, oid: oid!, path: part.subarray(tab + 1).toString('utf8') });
  }
  return entries;
}

/**
 * The staged blobs as items. `early`: the listing and the object reader when the caller started them
 * already (a pre-commit run starts git first thing); the reader is then closed by `close` as well.
 */
export async function stagedItems(
  root: string,
  onSkip: SkipSink,
  early: { listed?: Promise<IndexEntry[]>; objects?: ObjectSource } = {},
): Promise<{ items: SourceItem[]; close: () => Promise<void> }> {
  let entries: IndexEntry[];
  try {
    entries = await (early.listed ?? stagedEntries(root));
  } catch (e) {
    await early.objects?.close();
    throw e;
  }
  const blobs = entries.filter((e) => {
    if (e.mode === '160000') {
      onSkip(e.path, 'submodule');
      return false;
    }
    if (NULL_OID.test(e.oid)) return false; // intent-to-add: nothing staged yet
    return true;
  });
  if (!blobs.length) return { items: [], close: async () => early.objects?.close() };
  const objects = early.objects ?? openObjects(root);
  const info = await objects.sizes([...new Set(blobs.map((b) => b.oid))]);
  const items: SourceItem[] = [];
  // A symlink's blob is its target path: scanned like any small text.
  for (const e of blobs) {
    const size = info.get(e.oid);
    if (size === undefined) {
      void objects.close();
      throw new LeakguardError(`object ${e.oid} (${e.path}) is missing from the repository`);
    }
    items.push({ path: e.path, blobId: e.oid, size, read: () => objects.read(e.oid) });
  }
  return { items, close: () => objects.close() };
}

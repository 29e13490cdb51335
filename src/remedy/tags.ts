/**
 * fast-export names an annotated tag by its ref with `refs/tags/` taken off, and fast-import files
 * it back under `refs/tags/<that name>`. A tag kept in a remote's namespace
 * (`refs/leakguard/t0/tags/v1`) therefore comes out of git-filter-repo as a new tag at
 * `refs/tags/refs/leakguard/t0/tags/v1`, whose object calls itself by that long name, while the
 * namespaced ref still points at the old history. This puts each rewritten tag back where it was,
 * under the name its object had.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git } from '../sources/git.js';
import { readObjects } from './objects.js';

/** Returns how many tags were put back. */
export async function restoreNamespacedTags(backup: string, rewritten: string, stateDir: string): Promise<number> {
  const refs = (
    await git(['for-each-ref', '--format=%(objectname) %(objecttype) %(refname)', 'refs/tags/refs/'], rewritten)
  )
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ') as [string, string, string])
    .filter(([, type]) => type === 'tag');
  if (!refs.length) return 0;
  const originals = (
    await git(
      ['for-each-ref', '--format=%(objectname) %(refname)', ...refs.map(([, , ref]) => ref.slice('refs/tags/'.length))],
      backup,
    )
  )
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ') as [string, string]);
  const oldId = new Map(originals.map(([id, ref]) => [ref, id]));
  const [rewrittenBodies, oldBodies] = await Promise.all([
    readObjects(
      rewritten,
      refs.map(([id]) => id),
    ),
    readObjects(backup, [...oldId.values()]),
  ]);
  const tmp = mkdtempSync(join(stateDir, 'tags-'));
  try {
    const files: string[] = [];
    const targets: { ref: string; artifact: string }[] = [];
    for (const [id, , artifact] of refs) {
      const ref = artifact.slice('refs/tags/'.length);
      const before = oldBodies.get(oldId.get(ref) ?? '');
      const body = rewrittenBodies.get(id);
      if (!before || !body) continue;
      const name = /^tag (.*)$/m.exec(before.toString('latin1'))?.[1];
      if (name === undefined) continue;
      const fixed = Buffer.from(
        body.toString('latin1').replace(/^tag .*$/m, () => `tag ${name}`),
        'latin1',
      );
      const file = join(tmp, String(files.length));
      writeFileSync(file, fixed);
      files.push(file);
      targets.push({ ref, artifact });
    }
    if (!files.length) return 0;
    const ids = (await git(['hash-object', '-t', 'tag', '-w', '--stdin-paths'], rewritten, `${files.join('\n')}\n`))
      .toString('utf8')
      .trim()
      .split('\n');
    const commands = targets.map((t, i) => `update ${t.ref} ${ids[i]}\ndelete ${t.artifact}\n`).join('');
    await git(['update-ref', '--stdin'], rewritten, commands);
    return targets.length;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Object bodies in bulk, for the purge's checks: one git process however many objects. */
import { gitRaw } from '../sources/git.js';

/** Reads many objects with one cat-file --batch: id -> raw body. */
export async function readObjects(repo: string, ids: string[], env?: NodeJS.ProcessEnv): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  if (!ids.length) return out;
  const r = await gitRaw(['cat-file', '--batch'], { cwd: repo, input: `${ids.join('\n')}\n`, env });
  const buf = r.stdout;
  let at = 0;
  for (const id of ids) {
    const nl = buf.indexOf(10, at);
    const header = buf.subarray(at, nl).toString('latin1').split(' ');
    if (header[1] === 'missing') {
      at = nl + 1;
      continue;
    }
    const size = Number(header[2]);
    out.set(id, buf.subarray(nl + 1, nl + 1 + size));
    at = nl + 1 + size + 1;
  }
  return out;
}

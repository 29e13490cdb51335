/**
 * Commit attribution for history findings: which commit first introduced each finding (oldest
 * first, an ancestor before its descendants at equal times, so both history readers name the
 * same one), who made it and when, and which refs reach it.
 */
import type { CommitAbout, HistoryIndex } from '../sources/history.js';
import type { Attribution, Place } from './findings.js';

export class CommitAttribution implements Attribution {
  private readonly reach: RefReach;

  /** `describeCommits` reads author, date and subject for commits the walk did not describe. */
  constructor(
    private readonly index: HistoryIndex,
    private readonly describeCommits: (oids: string[]) => Promise<Map<string, CommitAbout>>,
  ) {
    this.reach = new RefReach(index);
  }

  order(occ: Place[]): void {
    const { index, reach } = this;
    const time = (c: number) => (c < 0 ? Number.MAX_SAFE_INTEGER : index.commits[c]!.time);
    const oid = (c: number) => (c < 0 ? '' : index.commits[c]!.oid);
    occ.sort(
      (a, b) =>
        time(a.commit) - time(b.commit) ||
        reach.generation(a.commit) - reach.generation(b.commit) ||
        (oid(a.commit) < oid(b.commit) ? -1 : oid(a.commit) > oid(b.commit) ? 1 : 0) ||
        (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
    );
  }

  async describe(commits: number[]): Promise<void> {
    const todo = [...new Set(commits)]
      .filter((c) => c >= 0 && !this.index.commits[c]!.about)
      .map((c) => this.index.commits[c]!);
    if (!todo.length) return;
    const about = await this.describeCommits(todo.map((c) => c.oid));
    for (const c of todo) c.about = about.get(c.oid);
  }

  private readonly described = new Map<number, { oid: string; author?: string; date?: string; subject?: string }>();
  /** Refs reaching one commit: most findings occur in one commit, and many findings share it. */
  private readonly refsOfOne = new Map<number, string[]>();

  commit(i: number): { oid: string; author?: string; date?: string; subject?: string } | undefined {
    let d = this.described.get(i);
    const c = this.index.commits[i];
    if (!d && c) {
      d = { oid: c.oid, author: c.about?.author, date: c.about?.date, subject: c.about?.subject };
      this.described.set(i, d);
    }
    return d;
  }

  refsReaching(commits: number[]): string[] {
    if (commits.length && commits.every((c) => c === commits[0])) {
      let refs = this.refsOfOne.get(commits[0]!);
      if (!refs) {
        refs = this.reach.refsReaching([commits[0]!]);
        this.refsOfOne.set(commits[0]!, refs);
      }
      return refs; // shared by every finding of that commit, and never changed
    }
    return this.reach.refsReaching(commits);
  }
}

/** Which refs reach a set of commits: a walk from those commits towards their descendants. */
export class RefReach {
  private children: number[][] | undefined;
  private readonly tips = new Map<number, string[]>();
  private generations: Int32Array | undefined;

  constructor(private readonly index: HistoryIndex) {
    for (const r of index.refs) {
      const c = index.commitIndex.get(r.commit);
      if (c === undefined) continue;
      const list = this.tips.get(c) ?? [];
      list.push(r.name);
      this.tips.set(c, list);
    }
  }

  private build(): number[][] {
    const ch: number[][] = Array.from({ length: this.index.commits.length }, () => []);
    this.index.commits.forEach((c, i) => {
      for (const p of c.parents) {
        const pi = this.index.commitIndex.get(p);
        if (pi !== undefined) ch[pi]!.push(i);
      }
    });
    return ch;
  }

  /** Length of the longest parent chain below a commit: an ancestor always has a smaller one. */
  generation(c: number): number {
    if (c < 0) return Number.MAX_SAFE_INTEGER;
    if (!this.generations) {
      const n = this.index.commits.length;
      const gen = new Int32Array(n).fill(-1);
      const parentIdx = (i: number) =>
        this.index.commits[i]!.parents.map((p) => this.index.commitIndex.get(p)).filter(
          (x): x is number => x !== undefined,
        );
      for (let start = 0; start < n; start++) {
        if (gen[start]! >= 0) continue;
        const stack = [start];
        while (stack.length) {
          const top = stack[stack.length - 1]!;
          const ps = parentIdx(top);
          const todo = ps.filter((p) => gen[p]! < 0);
          if (todo.length) {
            stack.push(...todo);
            continue;
          }
          stack.pop();
          if (gen[top]! < 0) gen[top] = ps.length ? Math.max(...ps.map((p) => gen[p]!)) + 1 : 0;
        }
      }
      this.generations = gen;
    }
    return this.generations[c]!;
  }

  /** Commits reachable from any of `tips`' refs whose name matches `ref`, walking parents. */
  reachableFrom(refPredicate: (name: string) => boolean): Set<number> {
    const out = new Set<number>();
    const stack: number[] = [];
    for (const [c, names] of this.tips) if (names.some(refPredicate)) stack.push(c);
    while (stack.length) {
      const c = stack.pop()!;
      if (out.has(c)) continue;
      out.add(c);
      for (const p of this.index.commits[c]!.parents) {
        const pi = this.index.commitIndex.get(p);
        if (pi !== undefined && !out.has(pi)) stack.push(pi);
      }
    }
    return out;
  }

  refsReaching(commits: number[]): string[] {
    if (!this.tips.size || !commits.length) return [];
    const children = (this.children ??= this.build());
    const seen = new Uint8Array(this.index.commits.length);
    const stack = [...new Set(commits)];
    const refs = new Set<string>();
    for (const c of stack) seen[c] = 1;
    while (stack.length) {
      const c = stack.pop()!;
      for (const name of this.tips.get(c) ?? []) refs.add(name);
      for (const k of children[c]!)
        if (!seen[k]) {
          seen[k] = 1;
          stack.push(k);
        }
    }
    return [...refs].sort();
  }
}

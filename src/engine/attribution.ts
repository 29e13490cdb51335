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
    const time = (c: number) => (c < 0 ? Number.MAX_SAFE_INTEGER : index.times[c]!);
    const oid = (c: number) => (c < 0 ? '' : index.commitOid(c));
    occ.sort(
      (a, b) =>
        time(a.commit) - time(b.commit) ||
        reach.generation(a.commit) - reach.generation(b.commit) ||
        (oid(a.commit) < oid(b.commit) ? -1 : oid(a.commit) > oid(b.commit) ? 1 : 0) ||
        (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
    );
  }

  async describe(commits: number[]): Promise<void> {
    const { about } = this.index;
    const todo = [...new Set(commits)].filter((c) => c >= 0 && !about.has(c));
    if (!todo.length) return;
    const read = await this.describeCommits(todo.map((c) => this.index.commitOid(c)));
    for (const c of todo) {
      const a = read.get(this.index.commitOid(c));
      if (a) about.set(c, a);
    }
  }

  private readonly described = new Map<number, { oid: string; author?: string; date?: string; subject?: string }>();
  /** Refs reaching one commit: most findings occur in one commit, and many findings share it. */
  private readonly refsOfOne = new Map<number, string[]>();

  commit(i: number): { oid: string; author?: string; date?: string; subject?: string } | undefined {
    let d = this.described.get(i);
    if (!d && i >= 0 && i < this.index.commitCount) {
      const about = this.index.about.get(i);
      d = { oid: this.index.commitOid(i), author: about?.author, date: about?.date, subject: about?.subject };
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
  /** Children of commit `c`: `childList[childStart[c] .. childStart[c + 1]]`, built on first use. */
  private childStart: Int32Array | undefined;
  private childList: Int32Array | undefined;
  private readonly tips = new Map<number, string[]>();
  private generations: Int32Array | undefined;

  constructor(private readonly index: HistoryIndex) {
    for (const r of index.refs) {
      const c = index.findCommit(r.commit);
      if (c < 0) continue;
      const list = this.tips.get(c) ?? [];
      list.push(r.name);
      this.tips.set(c, list);
    }
  }

  private buildChildren(): void {
    const { parentStart, parentList, commitCount: n } = this.index;
    const start = new Int32Array(n + 1);
    for (let k = 0; k < parentList.length; k++) {
      const p = parentList[k]!;
      if (p >= 0) start[p + 1]!++;
    }
    for (let c = 0; c < n; c++) start[c + 1]! += start[c]!;
    const fill = start.slice(0, n);
    const list = new Int32Array(start[n]!);
    for (let c = 0; c < n; c++)
      for (let k = parentStart[c]!; k < parentStart[c + 1]!; k++) {
        const p = parentList[k]!;
        if (p >= 0) list[fill[p]!++] = c;
      }
    this.childStart = start;
    this.childList = list;
  }

  /** Length of the longest parent chain below a commit: an ancestor always has a smaller one. */
  generation(c: number): number {
    if (c < 0) return Number.MAX_SAFE_INTEGER;
    this.generations ??= this.computeGenerations();
    return this.generations[c]!;
  }

  /**
   * Every commit's generation, parents first, with an explicit stack (histories are deep). A commit
   * with parents still to do pushes them once and is finished when it is on top again, with them
   * done; a copy of a commit already finished further up is passed over.
   */
  private computeGenerations(): Int32Array {
    const { parentStart, parentList, commitCount: n } = this.index;
    const gen = new Int32Array(n).fill(-1);
    const stack: number[] = [];
    for (let start = 0; start < n; start++) {
      if (gen[start]! >= 0) continue;
      stack.push(start);
      while (stack.length) {
        const c = stack[stack.length - 1]!;
        if (gen[c]! >= 0) {
          stack.pop();
          continue;
        }
        let pending = false;
        let most = -1;
        for (let k = parentStart[c]!; k < parentStart[c + 1]!; k++) {
          const p = parentList[k]!;
          if (p < 0) continue;
          const g = gen[p]!;
          if (g < 0) {
            stack.push(p);
            pending = true;
            // each commit pushes its parents once, so more than that is a cycle: not a history
            if (stack.length > n + parentList.length) throw new Error('the commit graph has a cycle');
          } else if (g > most) most = g;
        }
        if (pending) continue;
        stack.pop();
        gen[c] = most + 1;
      }
    }
    return gen;
  }

  /** Commits reachable from any of `tips`' refs whose name matches `ref`, walking parents. */
  reachableFrom(refPredicate: (name: string) => boolean): Set<number> {
    const { parentStart, parentList } = this.index;
    const out = new Set<number>();
    const stack: number[] = [];
    for (const [c, names] of this.tips) if (names.some(refPredicate)) stack.push(c);
    while (stack.length) {
      const c = stack.pop()!;
      if (out.has(c)) continue;
      out.add(c);
      for (let k = parentStart[c]!; k < parentStart[c + 1]!; k++) {
        const p = parentList[k]!;
        if (p >= 0 && !out.has(p)) stack.push(p);
      }
    }
    return out;
  }

  refsReaching(commits: number[]): string[] {
    if (!this.tips.size || !commits.length) return [];
    if (!this.childStart) this.buildChildren();
    const childStart = this.childStart!;
    const childList = this.childList!;
    const seen = new Uint8Array(this.index.commitCount);
    const stack = [...new Set(commits)];
    const refs = new Set<string>();
    for (const c of stack) seen[c] = 1;
    while (stack.length) {
      const c = stack.pop()!;
      for (const name of this.tips.get(c) ?? []) refs.add(name);
      for (let k = childStart[c]!; k < childStart[c + 1]!; k++) {
        const child = childList[k]!;
        if (!seen[child]) {
          seen[child] = 1;
          stack.push(child);
        }
      }
    }
    return [...refs].sort();
  }
}

/**
 * The work-tree and index scans: source items in, findings out, through the same matching
 * (`BlobScanner`) and the same findings stage as history. Path and size rules see every item;
 * content rules see every text item small enough to read; everything not content-scanned is counted.
 */
import type { Finding, ScanStats, SkipReason, SourceItem } from '../types.js';
import { LeakguardError } from '../errors.js';
import type { Ruleset } from './compile.js';
import { detectPath } from './detect.js';
import { BlobScanner, matchesOf, type BlobResult } from './blob-scan.js';
import { FindingsStage, type Place } from './findings.js';
import type { ReadLimits } from './archive-scan.js';

export interface EngineOptions {
  maxContentBytes: number;
  /** Time limit for one user rule on one file (ms). */
  guardMs?: number;
  /** Fingerprints to drop (a baseline). */
  baseline?: Set<string>;
  /** Items read at once. */
  concurrency?: number;
  /** Limits archive members are read under; undefined: archives are not entered. */
  archives?: ReadLimits;
}

const EXAMPLES_PER_REASON = 5;

export function newStats(rules: number): ScanStats {
  return {
    files: 0,
    contentScanned: 0,
    bytesScanned: 0,
    skipped: {},
    skippedExamples: {},
    suppressed: { allowlist: 0, inline: 0, baseline: 0 },
    rules,
    durationMs: 0,
    warnings: [],
  };
}

export function countSkip(stats: ScanStats, path: string, reason: SkipReason): void {
  stats.skipped[reason] = (stats.skipped[reason] ?? 0) + 1;
  const ex = (stats.skippedExamples[reason] ??= []);
  if (ex.length < EXAMPLES_PER_REASON) ex.push(path);
}

/** The warning for a user rule stopped by its time limit: one wording in every mode. */
export function timeoutWarning(ruleId: string, path: string, guardMs: number): string {
  return `rule '${ruleId}' exceeded its ${guardMs} ms time limit on ${path} (its regex backtracks); it was switched off for the rest of the scan`;
}

export class Engine {
  readonly stats: ScanStats;
  private readonly scanner: BlobScanner;
  private stage: FindingsStage;
  private readonly lfs = new Set<string>();

  constructor(
    private readonly ruleset: Ruleset,
    private readonly opts: EngineOptions,
    stats?: ScanStats,
  ) {
    this.stats = stats ?? newStats(ruleset.rules.length);
    this.scanner = new BlobScanner(ruleset, opts.guardMs ?? 2000, false, opts.archives);
    this.stage = this.newStage();
  }

  private newStage(): FindingsStage {
    return new FindingsStage(this.ruleset, {
      baseline: this.opts.baseline,
      isLfs: (place) => this.lfs.has(place.path),
    });
  }

  /** Every secret matched so far, reported or not: what redaction looks for in other fields. */
  get secrets(): Set<string> {
    return this.stage.secrets;
  }

  /** Findings for one item on its own, after allowlists, inline comments and the baseline. */
  async scanItem(item: SourceItem): Promise<Finding[]> {
    this.stage = this.newStage();
    await this.addItem(item);
    return this.stage.finish(this.stats);
  }

  private async addItem(item: SourceItem): Promise<void> {
    const { stats, ruleset, stage } = this;
    stats.files++;
    if (stage.placeAllowed(item.path)) {
      countSkip(stats, item.path, 'allowlisted');
      return;
    }
    const place: Place = { commit: -1, path: item.path, blob: item.blobId ?? '' };
    const hits = detectPath(ruleset, item.path, item.size).map((r) => r.rule);
    if (hits.length) stage.addPathHits(hits, place, item.size);
    if (item.size > this.opts.maxContentBytes) {
      countSkip(stats, item.path, 'too-large');
      return;
    }
    if (!ruleset.contentRules.length) return;
    const buf = await this.read(item);
    if (!buf) return;
    const r: BlobResult = this.scanner.scan(place.blob, buf, item.path);
    if (r.lfs) this.lfs.add(item.path);
    if (r.binary) {
      countSkip(stats, item.path, 'binary');
      return;
    }
    stats.contentScanned++;
    stats.bytesScanned += buf.length;
    for (const id of r.timeouts ?? []) {
      countSkip(stats, item.path, 'timeout');
      stats.warnings.push(timeoutWarning(id, item.path, this.opts.guardMs ?? 2000));
    }
    stage.addMatches(matchesOf(r), [place], r.packed?.otherSecrets);
    if (r.archive) stage.addArchive(r.archive, [place]);
  }

  private async read(item: SourceItem): Promise<Buffer | undefined> {
    try {
      return await item.read();
    } catch (e) {
      if (e instanceof LeakguardError) throw e; // a missing or corrupt git object: never a silent all-clear
      const code = (e as NodeJS.ErrnoException).code;
      countSkip(this.stats, item.path, code === 'ENOENT' ? 'missing' : 'unreadable');
      return undefined;
    }
  }

  /** Scans items with a few reads in flight; findings come back grouped and in path order. */
  async scanAll(items: AsyncIterable<SourceItem> | Iterable<SourceItem>): Promise<Finding[]> {
    const started = Date.now();
    this.stage = this.newStage();
    const concurrency = this.opts.concurrency ?? 8;
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    for await (const item of items) {
      const p: Promise<void> = this.addItem(item)
        .catch((e) => {
          failure ??= e;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
      if (failure) break;
    }
    await Promise.all(inFlight);
    if (failure) throw failure;
    const findings = await this.stage.finish(this.stats);
    this.stats.durationMs += Date.now() - started;
    return findings;
  }
}

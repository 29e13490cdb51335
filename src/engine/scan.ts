/**
 * The engine's main loop: source items in, findings out. Path and size rules see every item; content
 * rules see every text item small enough to read; everything not content-scanned is counted.
 */
import type { Finding, ScanStats, SkipReason, SourceItem } from '../types.js';
import { LeakguardError } from '../errors.js';
import { allowedValue, type Ruleset } from './compile.js';
import { detectContent, detectPath, type RawFinding } from './detect.js';
import { fingerprint } from './fingerprint.js';
import { decode } from './text.js';

export interface EngineOptions {
  maxContentBytes: number;
  /** Time limit for one user rule on one file (ms). */
  guardMs?: number;
  /** Fingerprints to drop (a baseline). */
  baseline?: Set<string>;
  /** Items read at once. */
  concurrency?: number;
}

const EXAMPLES_PER_REASON = 5;

export function newStats(rules: number): ScanStats {
  return {
    files: 0, contentScanned: 0, bytesScanned: 0, skipped: {}, skippedExamples: {},
    suppressed: { allowlist: 0, inline: 0, baseline: 0 }, rules, durationMs: 0, warnings: [],
  };
}

export function countSkip(stats: ScanStats, path: string, reason: SkipReason): void {
  stats.skipped[reason] = (stats.skipped[reason] ?? 0) + 1;
  const ex = (stats.skippedExamples[reason] ??= []);
  if (ex.length < EXAMPLES_PER_REASON) ex.push(path);
}

export class Engine {
  private readonly disabled = new Set<string>();
  readonly stats: ScanStats;

  constructor(private readonly ruleset: Ruleset, private readonly opts: EngineOptions, stats?: ScanStats) {
    this.stats = stats ?? newStats(ruleset.rules.length);
  }

  /** Findings for one item, after allowlists, inline comments and the baseline. */
  async scanItem(item: SourceItem): Promise<Finding[]> {
    const { stats, ruleset } = this;
    stats.files++;
    if (ruleset.globalAllow.paths?.(item.path)) { countSkip(stats, item.path, 'allowlisted'); return []; }
    const raws: RawFinding[] = detectPath(ruleset, item.path, item.size);
    if (item.size > this.opts.maxContentBytes) {
      countSkip(stats, item.path, 'too-large');
    } else if (ruleset.contentRules.length > 0) {
      const buf = await this.read(item);
      if (buf) {
        const d = decode(buf);
        if ('binary' in d) countSkip(stats, item.path, 'binary');
        else {
          stats.contentScanned++;
          stats.bytesScanned += buf.length;
          raws.push(...detectContent(ruleset, item.path, d.text, {
            guardMs: this.opts.guardMs ?? 2000,
            disabled: this.disabled,
            onTimeout: (rule) => {
              this.disabled.add(rule.id);
              countSkip(stats, item.path, 'timeout');
              stats.warnings.push(`rule '${rule.id}' exceeded ${this.opts.guardMs ?? 2000} ms on ${item.path} (its regex backtracks); it is switched off for the rest of this scan`);
            },
          }));
        }
      }
    }
    return this.finish(item, raws);
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

  private finish(item: SourceItem, raws: RawFinding[]): Finding[] {
    const { stats, ruleset } = this;
    const out: Finding[] = [];
    for (const r of raws) {
      if (r.secret !== undefined && allowedValue(ruleset.globalAllow, r.secret)) { stats.suppressed.allowlist++; continue; }
      if (r.inlineAllowed) { stats.suppressed.inline++; continue; }
      const fp = fingerprint(r.rule.id, item.path, r.secret);
      if (this.opts.baseline?.has(fp)) { stats.suppressed.baseline++; continue; }
      const f: Finding = {
        ruleId: r.rule.id, kind: r.kind, path: item.path,
        fingerprint: fp, description: r.description, severity: r.severity, confidence: r.confidence,
      };
      if (r.line !== undefined) { f.line = r.line; f.column = r.column; }
      if (r.secret !== undefined) f.secret = r.secret;
      if (r.kind === 'size') f.size = item.size;
      if (item.blobId) f.blobId = item.blobId;
      if (item.commit) f.commit = item.commit;
      out.push(f);
    }
    return out;
  }

  /** Scans items with a few reads in flight; findings come back in input order. */
  async scanAll(items: AsyncIterable<SourceItem> | Iterable<SourceItem>): Promise<Finding[]> {
    const started = Date.now();
    const concurrency = this.opts.concurrency ?? 8;
    const results: Finding[][] = [];
    const inFlight = new Set<Promise<void>>();
    let index = 0;
    let failure: unknown;
    for await (const item of items) {
      const i = index++;
      const p: Promise<void> = this.scanItem(item)
        .then((f) => { results[i] = f; }, (e) => { failure ??= e; })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
      if (failure) break;
    }
    await Promise.all(inFlight);
    if (failure) throw failure;
    this.stats.durationMs += Date.now() - started;
    return results.flat();
  }
}

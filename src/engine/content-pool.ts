/**
 * Spreads blob reads and content scans over worker threads (one per core). Blobs stream in while
 * the history walk is still running, so walking, sizing, reading and matching all overlap.
 * Without the bundled worker (running from source) or with one thread, it works on the calling thread.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CatFileReader } from '../sources/catfile.js';
import { HISTORY_ENV } from '../sources/history.js';
import { BlobScanner, scanBatch, type BlobResult } from './blob-scan.js';
import type { Ruleset } from './compile.js';
import { packageRoot } from './rule-pack.js';
import type { WorkerInit, WorkerReply } from './scan-worker.js';

export type BlobOutcome = BlobResult | { oid: string; error: string };
export type Counters = BlobScanner['counters'];

/** A batch holds at most this much content, so a thread's memory stays bounded. */
const BATCH_BYTES = 4 * 1024 * 1024;
const BATCH_COUNT = 128;
/** Batches sent ahead to a thread: one being scanned, one being read. */
const AHEAD = 2;

function workerFile(): string | undefined {
  try {
    const f = join(packageRoot(), 'dist', 'scan-worker.cjs');
    return existsSync(f) ? f : undefined;
  } catch {
    return undefined;
  }
}

function hashKey(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** What one lane (a thread, or the calling thread) needs: send a batch, learn when it is done. */
interface Batch { oids: string[]; paths: string[]; bytes: number }
interface Lane {
  pending: Batch;
  queue: Batch[];
  inFlight: number;
  dispatch(batch: Batch): void;
  close(): Promise<Counters>;
}

export class ContentPool {
  private lanes: Lane[] = [];
  private outcomes: BlobOutcome[] = [];
  private failure: unknown;
  private finished = false;
  private idle: (() => void) | undefined;
  added = 0;

  constructor(
    private readonly cwd: string,
    private readonly ruleset: Ruleset,
    private readonly init: Omit<WorkerInit, 'cwd'>,
    threads: number | undefined,
    private readonly onBlobs?: (count: number, bytes: number) => void,
  ) {
    const file = workerFile();
    const n = Math.max(1, Math.min(threads ?? availableParallelism(), 16));
    if (!file || n === 1) this.lanes.push(this.localLane());
    else for (let i = 0; i < n; i++) this.lanes.push(this.workerLane(file));
  }

  /** Queues one blob; versions of one file (same key) go to the same lane, where its chunk cache lives. */
  add(oid: string, size: number, key: string): void {
    const lane = this.lanes[this.lanes.length === 1 ? 0 : hashKey(key) % this.lanes.length]!;
    this.added++;
    lane.pending.oids.push(oid);
    lane.pending.paths.push(key);
    lane.pending.bytes += size;
    if (lane.pending.oids.length >= BATCH_COUNT || lane.pending.bytes >= BATCH_BYTES) this.flush(lane);
  }

  /** No more blobs: waits for every lane and returns what carried something. */
  async finish(): Promise<{ outcomes: BlobOutcome[]; counters: Counters }> {
    this.finished = true;
    for (const lane of this.lanes) this.flush(lane);
    await new Promise<void>((resolve) => {
      this.idle = resolve;
      this.checkIdle();
    });
    const counters = { chunks: 0, reused: 0, bytesMatched: 0, hashed: 0 };
    for (const c of await Promise.all(this.lanes.map((l) => l.close()))) {
      counters.chunks += c.chunks;
      counters.reused += c.reused;
      counters.bytesMatched += c.bytesMatched;
      counters.hashed += c.hashed;
    }
    if (this.failure) throw this.failure;
    return { outcomes: this.outcomes, counters };
  }

  /** Stops every thread; for errors elsewhere in the scan. */
  async abort(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.close().catch(() => undefined)));
  }

  private flush(lane: Lane): void {
    if (lane.pending.oids.length) {
      lane.queue.push(lane.pending);
      lane.pending = { oids: [], paths: [], bytes: 0 };
    }
    while (lane.inFlight < AHEAD && lane.queue.length) {
      lane.inFlight++;
      lane.dispatch(lane.queue.shift()!);
    }
  }

  private done(lane: Lane, results: BlobOutcome[], count: number, bytes: number): void {
    lane.inFlight--;
    this.outcomes.push(...results);
    this.onBlobs?.(count, bytes);
    this.flush(lane);
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.finished && this.idle && this.lanes.every((l) => l.inFlight === 0 && !l.queue.length && !l.pending.oids.length)) {
      const resolve = this.idle;
      this.idle = undefined;
      resolve();
    }
  }

  private fail(e: unknown): void {
    this.failure ??= e;
    for (const l of this.lanes) { l.queue = []; l.pending = { oids: [], paths: [], bytes: 0 }; l.inFlight = 0; }
    this.checkIdle();
  }

  private workerLane(file: string): Lane {
    // a small young generation keeps each thread's footprint down; blobs are short-lived garbage
    const worker = new Worker(file, {
      workerData: { ...this.init, cwd: this.cwd } satisfies WorkerInit,
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
    });
    const sent = new Map<number, Batch>();
    let nextId = 0;
    let closed: ((c: Counters) => void) | undefined;
    const closing = new Promise<Counters>((r) => { closed = r; });
    let exited = false;
    const lane: Lane = {
      pending: { oids: [], paths: [], bytes: 0 }, queue: [], inFlight: 0,
      dispatch: (batch) => {
        const id = nextId++;
        sent.set(id, batch);
        worker.postMessage({ type: 'scan', id, oids: batch.oids, paths: batch.paths });
      },
      close: () => {
        if (!exited) worker.postMessage({ type: 'close' });
        return closing;
      },
    };
    worker.on('message', (msg: WorkerReply) => {
      if (msg.type === 'results') {
        const batch = sent.get(msg.id)!;
        sent.delete(msg.id);
        this.done(lane, msg.results, batch.oids.length, batch.bytes);
      } else {
        exited = true;
        void worker.terminate();
        closed!(msg.counters);
      }
    });
    worker.on('error', (e) => { this.fail(e); exited = true; closed!({ chunks: 0, reused: 0, bytesMatched: 0, hashed: 0 }); });
    return lane;
  }

  private localLane(): Lane {
    const scanner = new BlobScanner(this.ruleset, this.init.guardMs);
    let reader: CatFileReader | undefined;
    const lane: Lane = {
      pending: { oids: [], paths: [], bytes: 0 }, queue: [], inFlight: 0,
      dispatch: (batch) => {
        const r = (reader ??= new CatFileReader(this.cwd, 'batch', HISTORY_ENV));
        scanBatch(scanner, (oids) => r.readMany(oids), batch.oids, batch.paths)
          .then((results) => this.done(lane, results, batch.oids.length, batch.bytes), (e) => this.fail(e));
      },
      close: async () => {
        reader?.close();
        return scanner.counters;
      },
    };
    return lane;
  }
}

/**
 * Spreads blob reads and content scans over worker threads (one per core). Blobs stream in while
 * the history walk is still running, so walking, reading and matching all overlap. Sizes come back
 * from the reads (git's header of each blob); a blob over the content limit is sized, not read.
 * Without the bundled worker (running from source) or with one thread, it works on the calling thread.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CatFileReader } from '../sources/catfile.js';
import { HISTORY_ENV } from '../sources/history.js';
import { BlobScanner, scanBatch, SIZE_MISSING, type BatchOutcome, type BlobOutcome } from './blob-scan.js';
import type { Ruleset } from './compile.js';
import { ReadSizes } from './blob-sizes.js';
import { packageRoot } from './rule-pack.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './scan-worker.js';

export type { BlobOutcome };
export type Counters = BlobScanner['counters'];

/**
 * A batch is cut at about this much expected content, or this many blobs: enough to keep a thread
 * busy, little enough that lanes stay balanced. Contents are scanned as they stream in, not held
 * per batch (200 blobs of 2 MB peak at the same memory in batches of 1 or of 128), yet on lodash
 * smaller batches measured a lower peak, at the same speed: 255-275 MB with 48 blobs and new files
 * guessed at 128 kB, 300-310 MB with 128 blobs and 16 kB. Most of a thread's memory is freed
 * buffers waiting for V8's next full collection, and that wait depends on the pace of the reads.
 */
const BATCH_BYTES = 4 * 1024 * 1024;
const BATCH_COUNT = 48;
/** Batches sent ahead to a thread: one being scanned, one being read. */
const AHEAD = 2;
/**
 * Batches queued per lane beyond those sent, before the walk is asked to wait: git log lists blobs
 * far faster than they are scanned, and an unbounded queue would hold every blob of a long history
 * (ids and paths) at once. 128 batches are about 6,000 blobs, a megabyte or two of ids and paths.
 * With 16 the walk waited every few batches, and an express scan took 3% longer (on one thread
 * 12%): the walk is then read in turns with the scanning, instead of running ahead of it.
 */
const QUEUED_PER_LANE = 128;
/**
 * A file moves to another lane only when its lane is this much further behind the least loaded
 * one: moving costs one version read without its predecessor, so it must buy real balance.
 */
const REBALANCE_BYTES = 8 * 1024 * 1024;
/**
 * Lanes are balanced, and batches cut, on expected bytes: a version is expected to be as large as
 * the last version of its file read, and a file not read yet this large. Guessing high keeps a
 * batch of new files small (see BATCH_COUNT).
 */
const UNKNOWN_SIZE = 128 * 1024;

/** Threads started ahead of a scan (see startWorkersEarly), not yet given to one. */
const early: Worker[] = [];
// a small young generation keeps each thread's footprint down; blobs are short-lived garbage
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8 };

/** How many threads and worker threads a pool of `threads` lanes has (see the constructor). */
function laneCounts(threads: number | undefined, oneLaneHere: boolean, file: string | undefined) {
  const n = Math.max(1, Math.min(threads ?? availableParallelism(), 16));
  const workers = !file || n === 1 ? 0 : oneLaneHere ? n - 1 : n;
  return { lanes: n, workers };
}

/**
 * Starts the worker threads a pool made with the same arguments will use, before the scan knows
 * its rules. A thread takes 100-150 ms to boot node and load its bundle (express: a tenth of the
 * scan); started here, that happens on the other core while this thread parses options, loads
 * rules and lists refs. The threads get their rules when a pool takes them. Until then they keep
 * no process alive; stopEarlyWorkers ends those no pool took.
 */
export function startWorkersEarly(threads: number | undefined, oneLaneHere = false): void {
  const file = workerFile();
  const { workers } = laneCounts(threads, oneLaneHere, file);
  while (early.length < workers) {
    const w = new Worker(file!, { workerData: undefined, resourceLimits: WORKER_LIMITS });
    w.unref();
    // a thread that fails or ends before a pool takes it is not taken (the pool starts its own):
    // dropped at its error already, since a pool that took it between its error and its exit
    // would never hear of either
    const drop = () => {
      const i = early.indexOf(w);
      if (i !== -1) early.splice(i, 1);
    };
    w.on('error', drop);
    w.once('exit', drop);
    early.push(w);
  }
}

/** Ends the threads started early that no scan took. */
export function stopEarlyWorkers(): void {
  for (const w of early.splice(0)) void w.terminate();
}

function workerFile(): string | undefined {
  try {
    const f = join(packageRoot(), 'dist', 'scan-worker.cjs');
    return existsSync(f) ? f : undefined;
  } catch {
    return undefined;
  }
}

/** What one lane (a thread, or the calling thread) needs: send a batch, learn when it is done. */
interface Batch {
  oids: string[];
  paths: string[];
  /** Each blob's number in the history index, -1 for one it does not hold. */
  blobs: number[];
  bytes: number;
}
interface Lane {
  /** The lane on the calling thread, where the walk runs too. */
  local?: boolean;
  /** Bytes given to this lane and not yet scanned. */
  owed: number;
  pending: Batch;
  queue: Batch[];
  inFlight: number;
  dispatch(batch: Batch): void;
  close(): Promise<Counters>;
}

export class ContentPool {
  private lanes: Lane[] = [];
  /** Which lane each file's versions go to, so the lane holding its previous version gets the next. */
  private laneOf = new Map<string, Lane>();
  private outcomes: BlobOutcome[] = [];
  /** Every blob's size, as read from git; missing blobs are listed apart. */
  readonly sizes = new ReadSizes();
  readonly missing: string[] = [];
  private lastSize = new Map<string, number>();
  private failure: unknown;
  private finished = false;
  /** Batches a lane took from another's queue (see steal). */
  stolen = 0;
  private idle: (() => void) | undefined;
  added = 0;

  constructor(
    private readonly cwd: string,
    private readonly ruleset: Ruleset,
    private readonly init: Omit<WorkerInit, 'cwd'>,
    threads: number | undefined,
    private readonly onBlobs?: (count: number, bytes: number) => void,
    /** One of the lanes on the calling thread, the others in worker threads (one V8 heap fewer). */
    oneLaneHere = false,
  ) {
    const file = workerFile();
    const { lanes, workers } = laneCounts(threads, oneLaneHere, file);
    if (workers < lanes) this.lanes.push(this.localLane());
    for (let i = 0; i < workers; i++) this.lanes.push(this.workerLane(file!));
  }

  /**
   * Queues one blob. Versions of one file (same key) stay on one lane, where its previous version
   * and chunk cache live; a new file goes to the least loaded lane, and a file whose lane has
   * fallen far behind moves. One long-lived file (a changelog with a thousand versions) would
   * otherwise keep one thread busy while the other sits idle at the end.
   */
  add(oid: string, key: string, blob = -1): void {
    const size = this.lastSize.get(key) ?? UNKNOWN_SIZE;
    const home = this.laneOf.get(key);
    const lightest = this.lanes.reduce((a, b) => (b.owed < a.owed ? b : a));
    const lane = home && home.owed <= lightest.owed + REBALANCE_BYTES ? home : lightest;
    if (lane !== home) this.laneOf.set(key, lane);
    lane.owed += size;
    this.added++;
    lane.pending.oids.push(oid);
    lane.pending.paths.push(key);
    lane.pending.blobs.push(blob);
    lane.pending.bytes += size;
    if (lane.pending.oids.length >= BATCH_COUNT || lane.pending.bytes >= BATCH_BYTES) this.flush(lane);
  }

  /**
   * Undefined while the lanes' queues have room; otherwise a promise that settles once they have
   * drained to half, for the walk to wait on before it lists more blobs.
   */
  backlog(): Promise<void> | undefined {
    if (this.queued() <= QUEUED_PER_LANE * this.lanes.length) return undefined;
    this.drained ??= new Promise<void>((resolve) => {
      this.onDrained = resolve;
    });
    for (const l of this.lanes) if (l.local) this.flush(l);
    return this.drained;
  }

  private drained: Promise<void> | undefined;
  private onDrained: (() => void) | undefined;

  private queued(): number {
    let n = 0;
    for (const l of this.lanes) n += l.queue.length;
    return n;
  }

  /** Lets a waiting walk go on once the queues are down to half. */
  private release(): void {
    if (!this.onDrained || this.queued() > (QUEUED_PER_LANE * this.lanes.length) / 2) return;
    const resolve = this.onDrained;
    this.onDrained = undefined;
    this.drained = undefined;
    resolve();
  }

  /** No more blobs: waits for every lane and returns what carried something. */
  async finish(): Promise<{ outcomes: BlobOutcome[]; counters: Counters }> {
    this.finished = true;
    for (const lane of this.lanes) this.flush(lane);
    for (const lane of this.lanes) {
      if (lane.inFlight || lane.queue.length) continue;
      this.steal(lane);
      this.flush(lane);
    }
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

  /**
   * The lane on the calling thread waits while the walk can go on: the walk (on that thread too)
   * is what feeds every other lane, so it goes first; the lane starts once the walk has ended, or
   * while the walk itself waits for the queues to drain. On express that was 2% of the wall time.
   */
  private held(lane: Lane): boolean {
    return !!lane.local && this.lanes.length > 1 && !this.finished && !this.onDrained;
  }

  private flush(lane: Lane): void {
    if (lane.pending.oids.length) {
      lane.queue.push(lane.pending);
      lane.pending = { oids: [], paths: [], blobs: [], bytes: 0 };
    }
    if (this.held(lane)) return;
    while (lane.inFlight < AHEAD && lane.queue.length) {
      lane.inFlight++;
      lane.dispatch(lane.queue.shift()!);
    }
  }

  private done(lane: Lane, batch: Batch, out: BatchOutcome): void {
    lane.inFlight--;
    lane.owed -= batch.bytes;
    this.outcomes.push(...out.results);
    let bytes = 0;
    for (let i = 0; i < batch.oids.length; i++) {
      const size = out.sizes[i]!;
      if (size === SIZE_MISSING) this.missing.push(batch.oids[i]!);
      if (size < 0) continue;
      this.sizes.set(batch.blobs[i]!, batch.oids[i]!, size);
      this.lastSize.set(batch.paths[i]!, size);
      if (size <= this.init.maxContentBytes) bytes += size;
    }
    this.onBlobs?.(batch.oids.length, bytes);
    if (!lane.queue.length) this.steal(lane);
    this.flush(lane);
    this.release();
    this.checkIdle();
  }

  /**
   * A lane with nothing queued takes the newer half of the longest queue. Lanes are chosen for
   * each file by expected bytes, and expectations are guesses until a file's versions are read:
   * without this, one thread sat idle for the last tenth of an express scan while the other still
   * held a queue. The files of the batches taken move with them, so their next versions follow.
   */
  private steal(thief: Lane): void {
    if (this.held(thief)) return;
    let victim: Lane | undefined;
    for (const l of this.lanes)
      if (l !== thief && l.queue.length > 1 && (!victim || l.queue.length > victim.queue.length)) victim = l;
    if (!victim) return;
    const taken = victim.queue.splice(victim.queue.length >> 1);
    for (const b of taken) {
      victim.owed -= b.bytes;
      thief.owed += b.bytes;
      for (const key of b.paths) if (this.laneOf.get(key) === victim) this.laneOf.set(key, thief);
    }
    thief.queue.push(...taken);
    this.stolen += taken.length;
  }

  private checkIdle(): void {
    if (
      this.finished &&
      this.idle &&
      this.lanes.every((l) => l.inFlight === 0 && !l.queue.length && !l.pending.oids.length)
    ) {
      const resolve = this.idle;
      this.idle = undefined;
      resolve();
    }
  }

  private fail(e: unknown): void {
    this.failure ??= e;
    for (const l of this.lanes) {
      l.queue = [];
      l.pending = { oids: [], paths: [], blobs: [], bytes: 0 };
      l.inFlight = 0;
    }
    this.release();
    this.checkIdle();
  }

  private workerLane(file: string): Lane {
    const init: WorkerInit = { ...this.init, cwd: this.cwd };
    const started = early.shift();
    if (started) {
      started.ref();
      started.postMessage({ type: 'init', init } satisfies WorkerRequest);
    }
    const worker = started ?? new Worker(file, { workerData: init, resourceLimits: WORKER_LIMITS });
    const sent = new Map<number, Batch>();
    let nextId = 0;
    let closed: ((c: Counters) => void) | undefined;
    const closing = new Promise<Counters>((r) => {
      closed = r;
    });
    let exited = false;
    const lane: Lane = {
      owed: 0,
      pending: { oids: [], paths: [], blobs: [], bytes: 0 },
      queue: [],
      inFlight: 0,
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
        this.done(lane, batch, msg);
      } else {
        exited = true;
        void worker.terminate();
        closed!(msg.counters);
      }
    });
    worker.on('error', (e) => {
      this.fail(e);
      exited = true;
      closed!({ chunks: 0, reused: 0, bytesMatched: 0, hashed: 0 });
    });
    return lane;
  }

  private localLane(): Lane {
    const scanner = new BlobScanner(this.ruleset, this.init.guardMs, true, this.init.archives);
    let reader: CatFileReader | undefined;
    const lane: Lane = {
      local: true,
      owed: 0,
      pending: { oids: [], paths: [], blobs: [], bytes: 0 },
      queue: [],
      inFlight: 0,
      dispatch: (batch) => {
        const r = (reader ??= new CatFileReader(this.cwd, 'batch', HISTORY_ENV));
        scanBatch(scanner, (oids) => r.readMany(oids, this.init.maxContentBytes), batch.oids, batch.paths).then(
          (out) => this.done(lane, batch, out),
          (e) => this.fail(e),
        );
      },
      close: async () => {
        reader?.close();
        return scanner.counters;
      },
    };
    return lane;
  }
}

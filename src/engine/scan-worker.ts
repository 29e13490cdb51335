/**
 * A worker thread of the history scan: it owns one `git cat-file --batch` process, reads the blobs
 * it is sent, runs the content rules over them and posts back the sizes and only the matches.
 * Blob contents never cross threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { compileRuleset } from './compile.js';
import { BlobScanner, scanBatch, type BatchOutcome } from './blob-scan.js';
import { CatFileReader } from '../sources/catfile.js';
import { HISTORY_ENV } from '../sources/history.js';
import type { AllowlistSpec, RuleSpec } from './rule-spec.js';
import type { ReadLimits } from './archive-scan.js';

export interface WorkerInit {
  cwd: string;
  specs: RuleSpec[];
  allow?: AllowlistSpec;
  guardMs: number;
  /** Blobs larger than this are sized from git's header and not read. */
  maxContentBytes: number;
  /** Limits archive members are read under (inflation runs here, in the thread); undefined: not entered. */
  archives?: ReadLimits;
}
export type WorkerRequest =
  | { type: 'init'; init: WorkerInit }
  | { type: 'scan'; id: number; oids: string[]; paths: string[] }
  | { type: 'close' };
export type WorkerReply =
  ({ type: 'results'; id: number } & BatchOutcome) | { type: 'closed'; counters: BlobScanner['counters'] };

let init: WorkerInit;
let scanner: BlobScanner;
let reader: CatFileReader;
/** A thread started early (see startWorkersEarly) is given its init as the first message instead. */
function start(given: WorkerInit): void {
  init = given;
  scanner = new BlobScanner(compileRuleset(init.specs, init.allow), init.guardMs, true, init.archives);
  reader = new CatFileReader(init.cwd, 'batch', HISTORY_ENV);
}
if (workerData) start(workerData as WorkerInit);

parentPort!.on('message', async (msg: WorkerRequest) => {
  if (msg.type === 'init') {
    start(msg.init);
    return;
  }
  if (msg.type === 'close') {
    await reader.close(); // its git process exits before this thread does
    parentPort!.postMessage({ type: 'closed', counters: scanner.counters } satisfies WorkerReply);
    return;
  }
  const out = await scanBatch(scanner, (oids) => reader.readMany(oids, init.maxContentBytes), msg.oids, msg.paths);
  parentPort!.postMessage({ type: 'results', id: msg.id, ...out } satisfies WorkerReply);
});

/**
 * Bulk object reads through long-lived `git cat-file` processes: one spawn for any number of
 * objects, instead of one per file.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { LeakguardError } from '../errors.js';
import { gitComplaint, gitRaw } from './git.js';

export interface ObjectInfo {
  type: string;
  size: number;
}

/**
 * One `git cat-file --batch-check` run: `[id, value]` of one field (type or size) for each object
 * named on `input`, or for every object with `--batch-all-objects`; value `missing` for an absent one.
 */
export async function batchCheck(
  cwd: string,
  field: 'objecttype' | 'objectsize',
  opts: { input?: string; args?: string[]; env?: NodeJS.ProcessEnv },
): Promise<[string, string][]> {
  const args = ['cat-file', ...(opts.args ?? []), `--batch-check=%(objectname) %(${field})`];
  const r = await gitRaw(args, { cwd, input: opts.input, env: opts.env });
  if (r.code !== 0)
    throw new LeakguardError(
      `git ${['cat-file', ...(opts.args ?? []), '--batch-check'].join(' ')} failed: ${gitComplaint(r.stderr)}`,
    );
  const out: [string, string][] = [];
  for (const line of r.stdout.toString('latin1').split('\n')) {
    const sp = line.indexOf(' ');
    if (sp !== -1) out.push([line.slice(0, sp), line.slice(sp + 1)]);
  }
  return out;
}

/** Sizes of many objects; absent ids are missing. */
export async function objectSizes(cwd: string, oids: string[], env?: NodeJS.ProcessEnv): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  if (!oids.length) return sizes;
  for (const [oid, v] of await batchCheck(cwd, 'objectsize', { input: `${oids.join('\n')}\n`, env })) {
    if (v !== 'missing') sizes.set(oid, Number(v));
  }
  return sizes;
}

/** git older than 2.36 has no `cat-file --batch-command`. */
export class BatchCommandUnsupported extends Error {}

/** A blob over the reader's size limit: its size, read from git's header; its content is not kept. */
export class TooLarge {
  constructor(readonly size: number) {}
}

/** The object store does not have the object. */
export class MissingObject extends LeakguardError {}

interface Pending {
  oid: string;
  content: boolean;
  /** Content larger than this is not read: the request is answered with its size. */
  limit: number;
  resolve: (v: Buffer | TooLarge | ObjectInfo | undefined) => void;
  reject: (e: Error) => void;
}

/**
 * Streams objects from one `git cat-file` process. With `--batch` it answers content requests;
 * with `--batch-command` (git 2.36+) it also answers size requests, so one process serves both.
 * Requests are answered in order; callers may keep several outstanding so the pipe never idles.
 *
 * Sizes come free with contents (each answer starts with a header holding the size), so a content
 * request may carry a size limit instead of a separate size lookup first. A blob over the limit is
 * never held: up to `discardUpTo` bytes its content is let through and dropped (cheaper than a new
 * process), and above that the process is stopped at the header (git writes it before it touches
 * the content) and a new one takes the requests still queued, so a multi-gigabyte blob is never
 * even streamed.
 */
export class CatFileReader {
  private child!: ChildProcessWithoutNullStreams;
  private queue: Pending[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private want = -1; // bytes of content (plus newline) still expected for queue[0]; -1 while reading a header
  /** The size of queue[0] when its content is over the limit and is being dropped. */
  private dropping: number | undefined;
  private parts: Buffer[] = [];
  private got = 0;
  private answered = 0;
  private failed: Error | undefined;
  private stderr = '';
  /** close() was called: the process is expected to end. */
  private closing = false;
  /** Request lines not yet written to git (see send). */
  private unsent = '';

  constructor(
    private readonly cwd: string,
    private readonly mode: 'batch' | 'command' = 'batch',
    private readonly env: NodeJS.ProcessEnv = process.env,
    /** About what a restart costs in streaming time: beyond this, an oversized blob stops the process. */
    private readonly discardUpTo = 8 * 1024 * 1024,
  ) {
    this.start();
  }

  /** Content of a blob. */
  read(oid: string): Promise<Buffer> {
    return this.request(oid, true) as Promise<Buffer>;
  }

  /** Contents of many blobs, asked for in one write; answered in order. Those over `limit` bytes answer with their size. */
  readMany(oids: string[], limit = Number.POSITIVE_INFINITY): Promise<Buffer | TooLarge>[] {
    if (this.failed) return oids.map(() => Promise.reject(this.failed));
    const out = oids.map(
      (oid) =>
        new Promise<Buffer | TooLarge>((resolve, reject) => {
          this.queue.push({ oid, content: true, limit, resolve: resolve as Pending['resolve'], reject });
        }),
    );
    this.send(this.lines(this.queue.slice(this.queue.length - oids.length)));
    return out;
  }

  /** Type and size, without the content; undefined when the object is missing (`--batch-command` only). */
  info(oid: string): Promise<ObjectInfo | undefined> {
    if (this.mode !== 'command') throw new Error('info() needs --batch-command');
    return this.request(oid, false) as Promise<ObjectInfo | undefined>;
  }

  /**
   * Ends git's input; resolves once the process has exited. A worker thread awaits it before it
   * ends: a child a thread leaves running is no one's to reap, and stays a zombie until the process
   * exits.
   */
  close(): Promise<void> {
    this.closing = true;
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    this.flush(); // requests made just before still get their answers
    child.stdin.end();
    return exited;
  }

  private start(): void {
    const child = spawn('git', ['cat-file', this.mode === 'batch' ? '--batch' : '--batch-command'], {
      cwd: this.cwd,
      env: this.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    this.stderr = '';
    // a process stopped at an oversized blob still reports, later: only the current one counts
    child.stdout.on('data', (d: Buffer) => {
      if (child === this.child) this.onData(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      if (child === this.child) this.stderr += d.toString('utf8');
    });
    child.on('error', (e) => {
      if (child === this.child) this.fail(new LeakguardError(`could not run git cat-file: ${e.message}`));
    });
    child.on('close', (code) => {
      // also with nothing asked yet (a reader started early, before its first request): the
      // requests that come later must fail at once, not wait for an answer that never comes
      if (child !== this.child || (!this.queue.length && this.closing)) return;
      if (this.mode === 'command' && this.answered === 0 && code === 129) this.fail(new BatchCommandUnsupported());
      else this.fail(new LeakguardError(`git cat-file exited (${code}) early: ${gitComplaint(this.stderr)}`));
    });
    child.stdin.on('error', () => {
      /* reported through close */
    });
  }

  /** Stops git at an oversized blob's header and hands what is still queued to a new process. */
  private restart(): void {
    const old = this.child;
    this.start();
    old.kill();
    this.buf = Buffer.alloc(0);
    this.unsent = ''; // every queued request, sent or not, goes to the new process now
    if (this.queue.length) this.child.stdin.write(this.lines(this.queue));
  }

  private lines(requests: Pending[]): string {
    let s = '';
    for (const p of requests)
      s += this.mode === 'batch' ? `${p.oid}\n` : `${p.content ? 'contents' : 'info'} ${p.oid}\n`;
    return s;
  }

  private request(oid: string, content: boolean): Promise<Buffer | ObjectInfo | undefined> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      const p: Pending = {
        oid,
        content,
        limit: Number.POSITIVE_INFINITY,
        resolve: resolve as Pending['resolve'],
        reject,
      };
      this.queue.push(p);
      this.send(this.lines([p]));
    });
  }

  /**
   * Requests go to git together: those made in one turn of the event loop (a scan asks for each of
   * twenty staged files' sizes, then for several contents, each from its own promise) become one
   * write, where a write each cost a system call and a wake-up of git.
   */
  private send(lines: string): void {
    if (this.unsent === '') process.nextTick(this.flush);
    this.unsent += lines;
  }

  private readonly flush = (): void => {
    const lines = this.unsent;
    this.unsent = '';
    if (lines) this.child.stdin.write(lines);
  };

  private fail(e: Error): void {
    this.failed ??= e;
    for (const p of this.queue.splice(0)) p.reject(this.failed);
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    while (this.queue.length) {
      if (this.want < 0) {
        const nl = this.buf.indexOf(10);
        if (nl === -1) return;
        const header = this.buf.subarray(0, nl).toString('utf8');
        this.buf = this.buf.subarray(nl + 1);
        this.answered++;
        const m = /^(\S+) (\S+) (\d+)$/.exec(header);
        const p = this.queue[0]!;
        if (!m) {
          this.queue.shift();
          if (!p.content && / missing$/.test(header)) p.resolve(undefined);
          else if (/ missing$/.test(header))
            p.reject(new MissingObject(`object ${p.oid} is missing in the repository`));
          else p.reject(new LeakguardError(`object ${p.oid} is unreadable (${header}) in the repository`));
          continue;
        }
        const size = Number(m[3]);
        if (!p.content) {
          this.queue.shift();
          p.resolve({ type: m[2]!, size });
          continue;
        }
        if (size > p.limit && size > this.discardUpTo) {
          this.queue.shift();
          p.resolve(new TooLarge(size));
          this.restart();
          return;
        }
        this.dropping = size > p.limit ? size : undefined;
        this.want = size + 1;
        this.parts = [];
        this.got = 0;
      }
      const take = Math.min(this.want - this.got, this.buf.length);
      if (take > 0) {
        if (this.dropping === undefined) this.parts.push(this.buf.subarray(0, take));
        this.buf = this.buf.subarray(take);
        this.got += take;
      }
      if (this.got < this.want) return;
      if (this.dropping !== undefined) {
        this.want = -1;
        this.queue.shift()!.resolve(new TooLarge(this.dropping));
        continue;
      }
      // most blobs arrive in one read: hand out a view of it instead of a copy
      const content =
        this.parts.length === 1
          ? this.parts[0]!.subarray(0, this.want - 1)
          : Buffer.concat(this.parts, this.want).subarray(0, this.want - 1);
      this.parts = [];
      this.want = -1;
      this.queue.shift()!.resolve(content);
    }
  }
}

export interface ObjectSource {
  sizes(oids: string[]): Promise<Map<string, number>>;
  read(oid: string): Promise<Buffer>;
  /** Resolves once the git processes have exited. */
  close(): Promise<void>;
}

/**
 * Sizes and contents for a set of objects: one `--batch-command` process where git has it, else a
 * `--batch-check` call plus a `--batch` process.
 */
export function openObjects(cwd: string): ObjectSource {
  let cmd: CatFileReader | undefined = new CatFileReader(cwd, 'command');
  let legacy: CatFileReader | undefined;
  return {
    async sizes(oids) {
      if (cmd) {
        try {
          const infos = await Promise.all(oids.map((o) => cmd!.info(o)));
          const out = new Map<string, number>();
          oids.forEach((o, i) => {
            const info = infos[i];
            if (info) out.set(o, info.size);
          });
          return out;
        } catch (e) {
          if (!(e instanceof BatchCommandUnsupported)) throw e;
          cmd = undefined;
        }
      }
      return objectSizes(cwd, oids);
    },
    read(oid) {
      return cmd ? cmd.read(oid) : (legacy ??= new CatFileReader(cwd, 'batch')).read(oid);
    },
    async close() {
      await Promise.all([cmd?.close(), legacy?.close()]);
    },
  };
}

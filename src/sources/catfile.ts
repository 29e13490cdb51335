/**
 * Bulk object reads through long-lived `git cat-file` processes: one spawn for any number of
 * objects, instead of one per file.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { LeakguardError } from '../errors.js';
import { gitRaw, gitComplaint } from './git.js';

export interface ObjectInfo { type: string; size: number }

/** Types and sizes of many objects in one `git cat-file --batch-check` call; absent ids are missing. */
export async function objectInfo(cwd: string, oids: string[]): Promise<Map<string, ObjectInfo>> {
  const out = new Map<string, ObjectInfo>();
  if (oids.length === 0) return out;
  const r = await gitRaw(['cat-file', '--batch-check'], { cwd, input: `${oids.join('\n')}\n` });
  if (r.code !== 0) throw new LeakguardError(`git cat-file failed: ${gitComplaint(r.stderr)}`);
  for (const line of r.stdout.toString('utf8').split('\n')) {
    const m = /^([0-9a-f]+) (\S+) (\d+)$/.exec(line);
    if (m) out.set(m[1]!, { type: m[2]!, size: Number(m[3]) });
  }
  return out;
}

interface Pending { oid: string; resolve: (b: Buffer) => void; reject: (e: Error) => void }

/**
 * Streams blob contents from one `git cat-file --batch` process. Requests are answered in order;
 * callers may keep several outstanding so the pipe never idles.
 */
export class CatFileReader {
  private child: ChildProcessWithoutNullStreams;
  private queue: Pending[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private want = -1; // bytes of content (plus newline) still expected for queue[0]; -1 while reading a header
  private parts: Buffer[] = [];
  private got = 0;
  private failed: Error | undefined;
  private stderr = '';

  constructor(cwd: string) {
    this.child = spawn('git', ['cat-file', '--batch'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (d: Buffer) => this.onData(d));
    this.child.stderr.on('data', (d: Buffer) => { this.stderr += d.toString('utf8'); });
    this.child.on('error', (e) => this.fail(new LeakguardError(`could not run git cat-file: ${e.message}`)));
    this.child.on('close', (code) => {
      if (this.queue.length) this.fail(new LeakguardError(`git cat-file exited (${code}) early: ${gitComplaint(this.stderr)}`));
    });
    this.child.stdin.on('error', () => { /* reported through close */ });
  }

  read(oid: string): Promise<Buffer> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.queue.push({ oid, resolve, reject });
      this.child.stdin.write(`${oid}\n`);
    });
  }

  close(): void {
    this.child.stdin.end();
  }

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
        const m = /^(\S+) (\S+) (\d+)$/.exec(header);
        if (!m) {
          const p = this.queue.shift()!;
          p.reject(new LeakguardError(`object ${p.oid} is ${/missing/.test(header) ? 'missing' : `unreadable (${header})`} in the repository`));
          continue;
        }
        this.want = Number(m[3]) + 1;
        this.parts = [];
        this.got = 0;
      }
      const take = Math.min(this.want - this.got, this.buf.length);
      if (take > 0) {
        this.parts.push(this.buf.subarray(0, take));
        this.buf = this.buf.subarray(take);
        this.got += take;
      }
      if (this.got < this.want) return;
      const content = Buffer.concat(this.parts, this.want).subarray(0, this.want - 1);
      this.parts = [];
      this.want = -1;
      this.queue.shift()!.resolve(content);
    }
  }
}

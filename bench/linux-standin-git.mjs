/**
 * The stand-in `git` of bench/linux-standin.mjs (see there for what it answers and how). Not run
 * by itself: the wrapper it writes sets the history's size and where the real git is.
 */
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const COMMITS = Number(process.env.STANDIN_COMMITS);
const BLOBS = Number(process.env.STANDIN_BLOBS);
const PATHS = 100_000;
const MERGE_EVERY = 5000;

/** A counter as an object id that looks like a hash: its first bytes mixed, the rest the counter. */
function oid(kind, n) {
  let h = (n * 0x9e3779b1 + kind * 0x85ebca6b) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h = (h ^ (h >>> 15)) >>> 0;
  return `${h.toString(16).padStart(8, '0')}${kind}${n.toString(16).padStart(31, '0')}`;
}
const commitOid = (i) => oid(1, i);
const blobOid = (i) => oid(2, i);
const EMPTY = '0'.repeat(40);

/** Writes `text` to stdout, waiting for the pipe when it is full. */
let pending = [];
let size = 0;
async function put(text) {
  pending.push(text);
  size += text.length;
  if (size < 1 << 20) return;
  const chunk = pending.join('');
  pending = [];
  size = 0;
  if (!process.stdout.write(chunk)) await new Promise((r) => process.stdout.once('drain', r));
}
async function flush() {
  const chunk = pending.join('');
  pending = [];
  size = 0;
  await new Promise((r) => process.stdout.write(chunk, r));
}

async function walk() {
  const format = args.find((a) => a.startsWith('--format=')) ?? '';
  const messages = format.includes('%B');
  // blobs are spread evenly: commit i (1-based, oldest first) adds blobs [first(i), first(i+1))
  const first = (i) => Math.floor(((i - 1) * BLOBS) / COMMITS);
  for (let i = COMMITS; i >= 1; i--) {
    const parents =
      i === 1 ? '' : i % MERGE_EVERY === 0 && i > 2 ? `${commitOid(i - 1)} ${commitOid(i - 2)}` : commitOid(i - 1);
    let s = `\x01${commitOid(i)} ${parents}\0${1_000_000_000 + i}\0`;
    if (messages) s += `change ${i}\n\0`;
    for (let b = first(i); b < first(i + 1); b++) {
      const path = `drivers/dir${b % 1000}/file${b % PATHS}.c`;
      s += `\n:100644 100644 ${EMPTY} ${blobOid(b)} M\0${path}\0`;
    }
    await put(s);
  }
  await flush();
}

/** Answers cat-file requests line by line: every blob is a short line of text. */
function catFile(mode) {
  let rest = '';
  process.stdin.setEncoding('latin1');
  process.stdin.on('data', (d) => {
    const lines = (rest + d).split('\n');
    rest = lines.pop();
    let out = '';
    for (const line of lines) {
      let id = line;
      let info = mode === 'check';
      if (mode === 'command') {
        const sp = line.indexOf(' ');
        info = line.slice(0, sp) === 'info';
        id = line.slice(sp + 1);
      }
      const body = `/* ${id} */\nint x;\n`;
      if (info) out += args.some((a) => a.includes('objecttype')) ? `${id} blob\n` : `${id} blob ${body.length}\n`;
      else out += `${id} blob ${body.length}\n${body}\n`;
    }
    process.stdout.write(out);
  });
}

async function describe() {
  let input = '';
  for await (const d of process.stdin) input += d;
  let out = '';
  for (const id of input.split('\n').filter(Boolean))
    out += `${id}\0Bench <bench@example.com>\x002020-01-01T00:00:00Z\0change\0`;
  process.stdout.write(out);
}

const command = args[0];
if (command === 'show-ref') process.stdout.write(`${commitOid(COMMITS)} refs/heads/main\n`);
else if (command === 'log' && args.includes('--raw')) await walk();
else if (command === 'log' && args.some((a) => a.startsWith('--no-walk'))) await describe();
else if (command === 'cat-file' && args.includes('--batch-command')) catFile('command');
else if (command === 'cat-file' && args.includes('--batch')) catFile('batch');
else if (command === 'cat-file' && args.some((a) => a.startsWith('--batch-check'))) catFile('check');
else {
  const r = spawnSync(process.env.STANDIN_REAL_GIT, args, { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

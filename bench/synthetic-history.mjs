#!/usr/bin/env node
/**
 * Builds a long synthetic history for measuring the history index's memory:
 * `node bench/synthetic-history.mjs DIR [COMMITS] [FILES]` (default 200,000 commits over 5,000
 * files). Each commit changes one to three files with a new line of ordinary text, so every
 * commit brings new blobs, as a real history does (about 2.5 blobs per commit); one commit in
 * 5,000 is a merge of a side branch. Written with `git fast-import`: about a minute for 200,000 commits.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';

const [dir, commitsArg = '200000', filesArg = '5000'] = process.argv.slice(2);
if (!dir || existsSync(dir)) {
  process.stderr.write('usage: node bench/synthetic-history.mjs NEW_DIR [COMMITS] [FILES]\n');
  process.exit(2);
}
const commits = Number(commitsArg);
const files = Number(filesArg);
mkdirSync(dir, { recursive: true });
execFileSync('git', ['init', '-q', '-b', 'main', dir]);

let seed = 0x9e3779b9;
const rand = (n) => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
};
const versions = new Uint32Array(files);
const fi = spawn('git', ['fast-import', '--quiet', '--done'], { cwd: dir, stdio: ['pipe', 'inherit', 'inherit'] });
let out = [];
let size = 0;
const flush = async () => {
  const text = out.join('');
  out = [];
  size = 0;
  if (!fi.stdin.write(text)) await new Promise((r) => fi.stdin.once('drain', r));
};
const put = async (s) => {
  out.push(s);
  size += s.length;
  if (size > 1 << 20) await flush();
};
let when = 1500000000;
for (let c = 1; c <= commits; c++) {
  const side = c % 5000 === 2500;
  const branch = side ? 'refs/heads/side' : 'refs/heads/main';
  const msg = `change ${c}\n`;
  let body = `commit ${branch}\nmark :${c}\ncommitter Bench <bench@example.com> ${when++} +0000\ndata ${msg.length}\n${msg}`;
  if (side && c > 1) body += `from :${c - 1}\n`;
  else if (c % 5000 === 2501) body += `from :${c - 2}\nmerge :${c - 1}\n`;
  const touched = 1 + rand(3);
  for (let k = 0; k < touched; k++) {
    const f = rand(files);
    const v = ++versions[f];
    const content = `file ${f}\nversion ${v}\nline ${rand(1e9)} of ordinary text\n`;
    body += `M 100644 inline src/dir${f % 100}/file${f}.txt\ndata ${Buffer.byteLength(content)}\n${content}\n`;
  }
  await put(`${body}\n`);
}
await put('done\n');
await flush();
fi.stdin.end();
fi.on('close', (code) => {
  if (code !== 0) process.exit(code ?? 1);
  process.stdout.write(`${dir}: ${commits} commits\n`);
});

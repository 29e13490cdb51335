#!/usr/bin/env node
/**
 * Builds a repository whose history holds very many distinct findings, for measuring the memory of
 * the findings stage and the reports: `node bench/many-findings.mjs DIR [FILES] [TOKENS_PER_FILE]`
 * (default 4 commits each adding a file of 250,000 distinct fake GitHub tokens: a million findings).
 * The tokens are random but carry a valid checksum (CRC32 of the body, base62), so a rule that checks
 * it still reports them. Written with `git fast-import`: a few seconds, not minutes.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const [dir, filesArg = '4', perFileArg = '250000'] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: node bench/many-findings.mjs DIR [FILES] [TOKENS_PER_FILE]\n');
  process.exit(2);
}
if (existsSync(dir)) {
  process.stderr.write(`${dir} exists; give a new directory\n`);
  process.exit(2);
}
const files = Number(filesArg);
const perFile = Number(perFileArg);
mkdirSync(dir, { recursive: true });
execFileSync('git', ['init', '-q', '-b', 'main', dir]);

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const CRC = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
function crc32(s) {
  let c = 0xffffffff;
  for (let i = 0; i < s.length; i++) c = CRC[(c ^ s.charCodeAt(i)) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function base62(n, width) {
  let out = '';
  while (n > 0) {
    out = B62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out.padStart(width, '0');
}
// a small deterministic generator: the same repository every time
let seed = 0x2545f491;
function rand() {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}
function token() {
  let body = '';
  for (let i = 0; i < 30; i++) body += B62[Math.floor(rand() * 62)];
  return `ghp_${body}${base62(crc32(body), 6)}`;
}

const fi = spawn('git', ['fast-import', '--quiet'], { cwd: dir, stdio: ['pipe', 'inherit', 'inherit'] });
const write = (s) => (fi.stdin.write(s) ? undefined : new Promise((r) => fi.stdin.once('drain', r)));
let when = 1700000000;
for (let f = 0; f < files; f++) {
  const lines = [];
  for (let i = 0; i < perFile; i++) lines.push(`token_${i} = "${token()}"`);
  const data = Buffer.from(`${lines.join('\n')}\n`);
  await write(`blob\nmark :${f + 1}\ndata ${data.length}\n`);
  await write(data);
  await write('\n');
  const msg = `add tokens ${f}\n`;
  await write(
    `commit refs/heads/main\ncommitter Bench <bench@example.com> ${when++} +0000\ndata ${msg.length}\n${msg}` +
      `M 100644 :${f + 1} tokens/file-${f}.env\n\n`,
  );
}
fi.stdin.end();
fi.on('close', (code) => {
  if (code !== 0) process.exit(code ?? 1);
  execFileSync('git', ['reset', '-q', '--hard'], { cwd: dir });
  process.stdout.write(`${dir}: ${files} commits, ${files * perFile} tokens\n`);
});

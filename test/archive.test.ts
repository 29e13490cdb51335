/**
 * The archive reader on its own: real archives made by the real zip, tar and gzip, their members
 * handed over with their paths and bytes, and every decompression-bomb limit reported when reached.
 */
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { archiveMagic, DEFAULT_READ_LIMITS, readArchive, type ReadLimits } from '../src/sources/archive.js';
import { hasTool, run, tempDir, withTool } from './helpers.js';

const itZip = withTool(hasTool('zip', ['-v']), 'zip');

function tree(): string {
  const dir = tempDir('lg-arch-');
  mkdirSync(join(dir, 'src', 'deep'), { recursive: true });
  writeFileSync(join(dir, 'src', 'app.js'), 'console.log(1)\n');
  writeFileSync(join(dir, 'src', 'deep', 'ünï.txt'), 'x'.repeat(1000));
  writeFileSync(join(dir, '.env'), 'A=1\n');
  const long = join(dir, 'd'.repeat(60), 'e'.repeat(60));
  mkdirSync(long, { recursive: true });
  writeFileSync(join(long, 'long-name.txt'), 'long\n');
  return dir;
}

/** Reads `data` whole: the members (path and size, sorted) and the problems; undefined if not an archive. */
function read(data: Buffer, limits: Partial<ReadLimits> = {}) {
  const magic = archiveMagic(data);
  if (!magic) return undefined;
  const members: string[] = [];
  const problems = readArchive(data, magic, { ...DEFAULT_READ_LIMITS, ...limits }, (m) => {
    if (!m.container) members.push(`${m.path} ${m.data.length}`);
  }).map((p) => p.reason);
  return { members: members.sort(), problems };
}
const expected = [
  '.env 4',
  `${'d'.repeat(60)}/${'e'.repeat(60)}/long-name.txt 5`,
  'src/app.js 15',
  'src/deep/ünï.txt 1000',
];

describe('archive reading', () => {
  itZip('lists a zip from its central directory, names and sizes', () => {
    const dir = tree();
    run('zip', ['-q', '-r', 'out.zip', '.env', 'src', 'd'.repeat(60)], dir);
    const l = read(readFileSync(join(dir, 'out.zip')))!;
    expect(l).toEqual({ members: expected, problems: [] });
  });

  it('lists tar and tar.gz, long names included', () => {
    const dir = tree();
    run('tar', ['-cf', 'out.tar', '.env', 'src', 'd'.repeat(60)], dir);
    run('tar', ['-czf', 'out.tar.gz', '.env', 'src', 'd'.repeat(60)], dir);
    expect(read(readFileSync(join(dir, 'out.tar')))).toEqual({ members: expected, problems: [] });
    expect(read(readFileSync(join(dir, 'out.tar.gz')))).toEqual({ members: expected, problems: [] });
  });

  itZip('a zip member that expands past the ratio limit stops the reading, reported', () => {
    const dir = tempDir('lg-arch-');
    writeFileSync(join(dir, 'a.txt'), 'a\n');
    writeFileSync(join(dir, 'zeros.bin'), '');
    truncateSync(join(dir, 'zeros.bin'), 20 * 1000 * 1000);
    run('zip', ['-q', 'bomb.zip', 'a.txt', 'zeros.bin'], dir);
    const l = read(readFileSync(join(dir, 'bomb.zip')))!;
    expect(l.members).toEqual(['a.txt 2']);
    expect(l.problems).toHaveLength(1);
    expect(l.problems[0]).toMatch(/ratio/);
  });

  it('member count and member size limits stop the reading, reported; a .tar.gz bomb is not inflated past them', () => {
    const dir = tempDir('lg-arch-');
    const names = Array.from({ length: 30 }, (_, i) => `f${String(i).padStart(2, '0')}.txt`);
    for (const n of names) writeFileSync(join(dir, n), `${n}\n`);
    run('tar', ['-cf', 'many.tar', ...names], dir);
    const many = read(readFileSync(join(dir, 'many.tar')), { maxMembers: 10 })!;
    expect(many.members).toHaveLength(10);
    expect(many.problems).toHaveLength(1);
    expect(many.problems[0]).toMatch(/10 members/);

    writeFileSync(join(dir, 'big.bin'), '');
    truncateSync(join(dir, 'big.bin'), 5 * 1000 * 1000);
    run('tar', ['-cf', 'big.tar', 'f00.txt', 'big.bin'], dir);
    const big = read(readFileSync(join(dir, 'big.tar')), { maxMemberBytes: 1_000_000 })!;
    expect(big.members).toEqual(['f00.txt 8']);
    expect(big.problems).toHaveLength(1);
    expect(big.problems[0]).toMatch(/big\.bin/);

    run('gzip', ['-k', '-9', 'big.tar'], dir);
    const bomb = read(readFileSync(join(dir, 'big.tar.gz')))!;
    expect(bomb.members).toEqual([]);
    expect(bomb.problems).toHaveLength(1);
    expect(bomb.problems[0]).toMatch(/ratio|bomb/);
  });

  it('truncated or foreign bytes: reported or not an archive, never a throw', () => {
    const dir = tempDir('lg-arch-');
    writeFileSync(join(dir, 'a.txt'), 'hello\n'.repeat(100));
    run('tar', ['-czf', 'a.tar.gz', 'a.txt'], dir);
    run('tar', ['-cf', 'a.tar', 'a.txt'], dir);
    const tgz = readFileSync(join(dir, 'a.tar.gz'));
    expect(read(tgz.subarray(0, tgz.length - 20))!.problems).toHaveLength(1);
    const tar = readFileSync(join(dir, 'a.tar'));
    const cutTar = read(tar.subarray(0, 700))!;
    expect(cutTar.problems).toHaveLength(1);
    expect(cutTar.problems[0]).toMatch(/truncated/);
    expect(read(Buffer.from('just some text, not an archive\n'))).toBeUndefined();
    const fakeZip = Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(40)]);
    expect(read(fakeZip)!.problems.length).toBeGreaterThan(0);
  });
});

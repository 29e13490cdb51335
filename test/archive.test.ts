/**
 * Archive listing (not wired into scans yet): real archives made by the real zip, tar and gzip,
 * their members listed with sizes, and every decompression-bomb limit reported when reached.
 */
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { archiveKind, DEFAULT_ARCHIVE_LIMITS, listArchive, memberPath } from '../src/sources/archive.js';
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

const paths = (l: ReturnType<typeof listArchive>) => l!.members.map((m) => `${m.path} ${m.size}`).sort();
const expected = [
  '.env 4',
  `${'d'.repeat(60)}/${'e'.repeat(60)}/long-name.txt 5`,
  'src/app.js 15',
  'src/deep/ünï.txt 1000',
];

describe('archive listing', () => {
  itZip('lists a zip from its central directory, names and sizes', () => {
    const dir = tree();
    run('zip', ['-q', '-r', 'out.zip', '.env', 'src', 'd'.repeat(60)], dir);
    const data = readFileSync(join(dir, 'out.zip'));
    expect(archiveKind(data)).toBe('zip');
    const l = listArchive(data)!;
    expect(l).toMatchObject({ kind: 'zip', complete: true, problems: [] });
    expect(paths(l)).toEqual(expected);
    expect(memberPath('dist/out.zip', l.members[0]!.path)).toMatch(/^dist\/out\.zip!/);
  });

  it('lists tar and tar.gz, long names included', () => {
    const dir = tree();
    run('tar', ['-cf', 'out.tar', '.env', 'src', 'd'.repeat(60)], dir);
    run('tar', ['-czf', 'out.tar.gz', '.env', 'src', 'd'.repeat(60)], dir);
    const tar = listArchive(readFileSync(join(dir, 'out.tar')))!;
    expect(tar).toMatchObject({ kind: 'tar', complete: true, problems: [] });
    expect(paths(tar)).toEqual(expected);
    const tgz = listArchive(readFileSync(join(dir, 'out.tar.gz')))!;
    expect(tgz).toMatchObject({ kind: 'tar.gz', complete: true, problems: [] });
    expect(paths(tgz)).toEqual(expected);
  });

  itZip('a zip member that expands past the ratio limit stops the listing, reported', () => {
    const dir = tempDir('lg-arch-');
    writeFileSync(join(dir, 'a.txt'), 'a\n');
    writeFileSync(join(dir, 'zeros.bin'), '');
    truncateSync(join(dir, 'zeros.bin'), 20 * 1000 * 1000);
    run('zip', ['-q', 'bomb.zip', 'a.txt', 'zeros.bin'], dir);
    const l = listArchive(readFileSync(join(dir, 'bomb.zip')))!;
    expect(l.complete).toBe(false);
    expect(l.members.map((m) => m.path)).toEqual(['a.txt']);
    expect(l.problems).toHaveLength(1);
    expect(l.problems[0]).toMatch(/zeros\.bin expands \d+x .*suspected decompression bomb.*ratio limit 100x/);
  });

  it('member count and total size limits stop the listing, reported; a .tar.gz bomb is not inflated past them', () => {
    const dir = tempDir('lg-arch-');
    const names = Array.from({ length: 30 }, (_, i) => `f${String(i).padStart(2, '0')}.txt`);
    for (const n of names) writeFileSync(join(dir, n), `${n}\n`);
    run('tar', ['-cf', 'many.tar', ...names], dir);
    const many = listArchive(readFileSync(join(dir, 'many.tar')), { ...DEFAULT_ARCHIVE_LIMITS, maxMembers: 10 })!;
    expect(many.members).toHaveLength(10);
    expect(many).toMatchObject({ complete: false, problems: ['more than 10 members: listing stopped (member limit)'] });

    writeFileSync(join(dir, 'big.bin'), '');
    truncateSync(join(dir, 'big.bin'), 5 * 1000 * 1000);
    run('tar', ['-cf', 'big.tar', 'f00.txt', 'big.bin'], dir);
    const big = listArchive(readFileSync(join(dir, 'big.tar')), {
      ...DEFAULT_ARCHIVE_LIMITS,
      maxTotalBytes: 1_000_000,
    })!;
    expect(big.members.map((m) => m.path)).toEqual(['f00.txt']);
    expect(big.complete).toBe(false);
    expect(big.problems[0]).toMatch(/more than 1000000 bytes uncompressed: listing stopped at big\.bin \(size limit\)/);

    run('gzip', ['-k', '-9', 'big.tar'], dir);
    const gz = readFileSync(join(dir, 'big.tar.gz'));
    const bomb = listArchive(gz)!;
    expect(bomb).toMatchObject({ kind: 'tar.gz', complete: false, members: [] });
    expect(bomb.problems[0]).toMatch(/suspected decompression bomb/);
  });

  it('truncated or foreign bytes: reported or not an archive, never a throw', () => {
    const dir = tempDir('lg-arch-');
    writeFileSync(join(dir, 'a.txt'), 'hello\n'.repeat(100));
    run('tar', ['-czf', 'a.tar.gz', 'a.txt'], dir);
    run('tar', ['-cf', 'a.tar', 'a.txt'], dir);
    const tgz = readFileSync(join(dir, 'a.tar.gz'));
    const cut = listArchive(tgz.subarray(0, tgz.length - 20))!;
    expect(cut.complete).toBe(false);
    expect(cut.problems[0]).toMatch(/^tar\.gz: cannot decompress/);
    const tar = readFileSync(join(dir, 'a.tar'));
    const cutTar = listArchive(tar.subarray(0, 700))!;
    expect(cutTar.complete).toBe(false);
    expect(cutTar.problems[0]).toMatch(/truncated/);
    expect(listArchive(Buffer.from('just some text, not an archive\n'))).toBeUndefined();
    const fakeZip = Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(40)]);
    expect(listArchive(fakeZip)).toMatchObject({ kind: 'zip', complete: false });
  });
});

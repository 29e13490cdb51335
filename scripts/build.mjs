// Bundles the CLI and the library with esbuild, and precompiles the rule pack.
//
// The CLI is one CommonJS file (dist/cli.cjs): bin/leakguard.js loads it through V8's code cache,
// which an ES module cannot use on Node 20, so start-up skips parsing and compiling it. Modules a
// command reaches through import() are bundled but evaluated only when that command runs.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// The build id: a hash of everything that goes into the bundles. The scan cache is keyed by it, so
// verdicts from one build are never trusted by another, even at the same version number.
const buildHash = createHash('sha256');
const hashTree = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) hashTree(p);
    else buildHash.update(`${p}\0`).update(readFileSync(p)).update('\0');
  }
};
hashTree('src');
hashTree('rules');
buildHash.update(readFileSync('package.json')).update(readFileSync('package-lock.json'));
const buildId = buildHash.digest('hex').slice(0, 16);
rmSync('dist', { recursive: true, force: true });
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // loaded with require() only by the commands that need them, from node_modules
  external: ['isomorphic-git', 'ora', 'smol-toml'],
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'none',
  logLevel: 'warning',
  define: { __LEAKGUARD_VERSION__: JSON.stringify(pkg.version), __LEAKGUARD_BUILD__: JSON.stringify(buildId) },
};
// The CLI, the pre-commit hook's smaller entry (its exact scan lines only), and the file the history
// scan's worker threads load.
await build({
  ...common,
  entryPoints: { cli: 'src/cli/main.ts', hook: 'src/cli/hook-main.ts', 'scan-worker': 'src/engine/scan-worker.ts' },
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  outdir: 'dist',
  define: { ...common.define, 'import.meta.url': '__lgModuleUrl' },
  banner: { js: "const __lgModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
});
await build({
  ...common,
  entryPoints: { index: 'src/index.ts' },
  format: 'esm',
  outdir: 'dist',
  // CommonJS dependencies call require(); give the ES module bundle one.
  banner: {
    js: "import { createRequire as __lgCreateRequire } from 'node:module'; const require = __lgCreateRequire(import.meta.url);",
  },
});
mkdirSync('dist/.cache', { recursive: true });
// bin/leakguard.js reads the CLI bundle as latin1, which is exact only for ASCII: esbuild escapes
// strings, but a regex literal keeps what the source wrote (write \u2026, not the character)
for (const bundle of ['dist/cli.cjs', 'dist/hook.cjs']) {
  const nonAscii = readFileSync(bundle).findIndex((b) => b > 0x7f);
  if (nonAscii !== -1)
    throw new Error(`${bundle} holds a non-ASCII byte at offset ${nonAscii}: escape it in the source`);
}

// Precompile the shipped rule pack: start-up then reads one JSON file instead of parsing YAML and
// compiling globs. The pack is validated here too, so a broken rule file fails the build.
// Keywords are anchored on their rarest quad, counted in a sample of ordinary code and prose: the
// TypeScript compiler's JavaScript and DOM declarations and the READMEs of the installed packages
// (statistics only: another sample changes speed, never what is found).
const lib = await import(`../dist/index.js?${Date.now()}`);
const sample = [];
for (const f of ['typescript/lib/typescript.js', 'typescript/lib/lib.dom.d.ts']) {
  if (existsSync(join('node_modules', f))) sample.push(readFileSync(join('node_modules', f)));
}
if (existsSync('node_modules')) {
  for (const d of readdirSync('node_modules').sort()) {
    const readme = join('node_modules', d, 'README.md');
    if (existsSync(readme)) sample.push(readFileSync(readme));
  }
}
const pack = lib.precompilePack(await lib.loadDefaultRules(), sample.length ? sample : undefined);
writeFileSync('dist/rules.json', lib.packJson(pack));

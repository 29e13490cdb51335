#!/usr/bin/env node
// The leakguard command. It loads the bundled CLI (dist/cli.cjs, built by `npm run build`) through
// V8's code cache, so a pre-commit run does not spend its time parsing and compiling the bundle.
// The cache lives next to the bundle and is only used where the package itself is writable.
// This file is CommonJS (bin/package.json says so): an ES module entry point would load node's
// module loader for ES modules first, a few milliseconds of every run.
'use strict';
const { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

const dist = join(__dirname, '..', 'dist');

// One cache per kind of run: V8 caches the functions a run has compiled by the time it saves, so
// a cache made by 'rules check' would leave a pre-commit scan compiling its own functions again.
const COMMANDS = ['scan', 'baseline', 'gitignore', 'purge', 'hook', 'rules', 'import', 'cache'];
function runKind(argv) {
  const command = COMMANDS.includes(argv[0]) ? argv[0] : 'other';
  return command === 'scan' && argv.includes('--staged') ? 'scan-staged' : command;
}

/** A bundle in dist/ (cli.cjs, or hook.cjs: the pre-commit hook's exact lines only), with its cache. */
function loadBundle(name, kind) {
  const file = join(dist, name);
  let source;
  let st;
  try {
    // the bundle is ASCII (esbuild escapes the rest): read as latin1, it needs no UTF-8 decoding
    source = readFileSync(file, 'latin1');
    st = statSync(file);
  } catch {
    process.stderr.write(`leakguard: ${file} is missing; run 'npm run build' (or reinstall leakguard)\n`);
    process.exit(2);
  }
  const cacheFile = join(
    dist,
    '.cache',
    `${name.replace(/\.cjs$/, '')}-${kind}-${process.version}-${process.arch}-${st.size}-${Math.floor(st.mtimeMs)}.v8`,
  );
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    /* first run */
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
    importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, createRequire(file), mod, file, dist);
  const save = !cachedData || script.cachedDataRejected;
  return {
    main: mod.exports.main,
    // after the run, so the functions it compiled lazily are in the cache too
    saveCache() {
      if (!save) return;
      try {
        mkdirSync(dirname(cacheFile), { recursive: true });
        const tmp = `${cacheFile}.${process.pid}`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        /* read-only install: run without a cache */
      }
    },
  };
}

/**
 * What runs: a staged scan starts with the hook's bundle, which hands any line other than the
 * hooks' own to the full CLI (loaded then); everything else loads the full CLI.
 */
function loadCli(argv) {
  const kind = runKind(argv);
  if (kind !== 'scan-staged') return loadBundle('cli.cjs', kind);
  const hook = loadBundle('hook.cjs', kind);
  let full;
  return {
    main: (args) => hook.main(args, (rest) => (full = loadBundle('cli.cjs', kind)).main(rest)),
    // only the bundle that ran the command: a hook cache saved after a hand-over would hold little
    // more than the line check, and a later hook run would accept it and compile the rest itself
    saveCache() {
      (full ?? hook).saveCache();
    },
  };
}

const argv = process.argv.slice(2);
const cli = loadCli(argv);
// Until the command says how it ended, the exit code is an error's: if a bug ever left the command
// waiting for something that cannot happen, node would run out of work and exit 0, an all-clear
// nobody gave.
process.exitCode = 2;
let settled = false;
process.on('exit', () => {
  if (!settled) process.stderr.write('leakguard: internal error: the command ended without a result\n');
});
cli.main(argv).then((code) => {
  settled = true;
  process.exitCode = code;
  cli.saveCache();
});

#!/usr/bin/env node
// The leakguard command. It loads the bundled CLI (dist/cli.cjs, built by `npm run build`) through
// V8's code cache, so a pre-commit run does not spend its time parsing and compiling the bundle.
// The cache lives next to the bundle and is only used where the package itself is writable.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const file = join(dist, 'cli.cjs');

function loadCli() {
  let source;
  let st;
  try {
    source = readFileSync(file, 'utf8');
    st = statSync(file);
  } catch {
    process.stderr.write(`leakguard: ${file} is missing; run 'npm run build' (or reinstall leakguard)\n`);
    process.exit(2);
  }
  const cacheFile = join(
    dist,
    '.cache',
    `cli-${process.version}-${process.arch}-${st.size}-${Math.floor(st.mtimeMs)}.v8`,
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

const cli = loadCli();
process.exitCode = await cli.main(process.argv.slice(2));
cli.saveCache();

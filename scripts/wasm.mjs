#!/usr/bin/env node
// Assembles src/engine/wasm/*.wat into the base64 modules in src/engine/wasm/*.ts (checked in, so
// neither a build nor an install needs an assembler). `npm run wasm` after editing a .wat; the test
// suite assembles each one again and fails if its .ts is out of date.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import wabtInit from 'wabt';

const dir = join(import.meta.dirname, '..', 'src', 'engine', 'wasm');
const wabt = await wabtInit();
for (const f of readdirSync(dir).filter((x) => x.endsWith('.wat'))) {
  const mod = wabt.parseWat(f, readFileSync(join(dir, f), 'utf8'));
  mod.validate();
  const b64 = Buffer.from(mod.toBinary({}).buffer).toString('base64');
  const name = f.replace(/\.wat$/, '');
  writeFileSync(
    join(dir, `${name}.ts`),
    `// Generated from ${f} by \`npm run wasm\` (scripts/wasm.mjs); edit the .wat, not this file.\nexport const WASM = '${b64}';\n`,
  );
  console.log(`${f}: ${b64.length} base64 characters`);
}

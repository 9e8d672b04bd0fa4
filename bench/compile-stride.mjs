// Stride's sources as the JavaScript a user of the package runs, for the bench's Stride engines.
//
// Under `node --import tsx` every engine process also carried TypeScript's loader: Node 20 runs
// module hooks on a thread of their own with a V8 isolate of its own, and tsx keeps esbuild's
// service and the transformed sources, which added ~35 MiB to every Stride row's peak resident
// memory (and never exists in a process that imports the published package). The engines now
// import src/ transpiled once per bench run into dist/bench/src/ (esbuild, the transformer tsx
// itself uses, one file per source as tsc emits them, with the shipped .wasm files beside them).
// dist/ is the package's build folder (ignored by git, lint and prettier); dist/bench/src/ sits
// close enough to the package root for the native addon's loader to find native/build.
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
/** Where the transpiled sources go: `<root>/dist/bench/src/node.js` is the engines' entry point. */
export const COMPILED_SRC = join(root, 'dist', 'bench', 'src');

function files(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else out.push(p);
  }
  return out;
}

/**
 * Transpile src/ into {@link COMPILED_SRC}. Returns null on success, else why it could not (the
 * engines then run the TypeScript sources under tsx, as before).
 */
export async function compileStride() {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch (e) {
    return `esbuild is not installed (${e.message.split('\n')[0]})`;
  }
  const src = join(root, 'src');
  const all = files(src);
  rmSync(COMPILED_SRC, { recursive: true, force: true });
  try {
    await esbuild.build({
      entryPoints: all.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
      outdir: COMPILED_SRC,
      outbase: src,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      bundle: false,
      tsconfig: join(root, 'tsconfig.json'),
      logLevel: 'silent',
    });
  } catch (e) {
    return `esbuild failed: ${e.message.split('\n')[0]}`;
  }
  for (const f of all.filter((x) => x.endsWith('.wasm'))) {
    const to = join(COMPILED_SRC, relative(src, f));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(f, to);
  }
  return null;
}

#!/usr/bin/env node
// Browser row B1: LeNet-5 training images/s in the browser on the playground's bench page, for
// Stride (the playground's backend, see playground/src/backend-choice.ts), TensorFlow.js cpu and
// wasm, and ConvNetJS, measured in one run, in Debian's chromium (playwright-core) and, when it is
// installed, Debian's firefox-esr (puppeteer-core), both headless through test/browser/page-driver.ts:
// per browser ROUNDS rounds, the engine order rotating between rounds, the median per engine; the
// page is loaded afresh for every measurement, so one engine's memory and workers do not weigh on
// the next. Writes bench/BROWSER-RESULTS.md. Run with: node --import tsx bench/browser-lenet.mjs
// [--rounds N] [--seconds S] [--batch B] (bench/run.mjs does this for `--only browser-w1`).
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, FIREFOX, launchChromium, launchFirefox } from '../test/browser/page-driver.ts';
import { ensurePlaygroundBuild, PLAYGROUND_DIST } from '../test/browser/playground-build.ts';
import { serveStatic } from '../test/browser/static-server.ts';

const benchDir = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ROUNDS = option('--rounds', 3);
const SECONDS = option('--seconds', 3);
const BATCH = option('--batch', 32);
const ENGINES = ['stride', 'tfjs-cpu', 'tfjs-wasm', 'convnetjs'];
const BROWSERS = [
  { name: 'chromium', binary: CHROMIUM, launch: launchChromium },
  { name: 'firefox', binary: FIREFOX, launch: launchFirefox },
];

if (!existsSync(CHROMIUM)) {
  console.error(`[browser-lenet] Debian chromium is not installed (${CHROMIUM}); apt-get install chromium`);
  process.exit(1);
}
ensurePlaygroundBuild();
const server = await serveStatic(PLAYGROUND_DIST);
/** Per browser: its version, each engine's img/s per round, and why an engine could not train. */
const measured = [];
try {
  for (const { name, binary, launch } of BROWSERS) {
    if (!existsSync(binary)) {
      console.error(`[browser-lenet] ${name}: not installed (${binary}); its rows are left out`);
      continue;
    }
    const page = await launch();
    const results = Object.fromEntries(ENGINES.map((e) => [e, []]));
    const failures = {};
    const setups = {};
    measured.push({ name, version: page.version, results, failures, setups });
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const order = ENGINES.map((_, i) => ENGINES[(i + round) % ENGINES.length]);
        for (const engine of order) {
          if (failures[engine]) continue;
          try {
            await page.goto(`${server.url}bench.html`);
            await page.waitFor('body[data-ready="true"]', 30_000);
            const r = await page.evaluate(
              `globalThis.runBench(${JSON.stringify(engine)}, ${BATCH}, ${SECONDS})`,
            );
            results[engine].push(r.imagesPerSecond);
            if (r.setup) setups[engine] = r.setup;
            console.error(
              `[browser-lenet] ${name} round ${round + 1} ${engine}: ${r.imagesPerSecond.toFixed(1)} img/s (${r.steps} steps)`,
            );
          } catch (err) {
            failures[engine] = String(err instanceof Error ? err.message : err).split('\n')[0];
            console.error(`[browser-lenet] ${name}: ${engine} cannot train LeNet-5: ${failures[engine]}`);
          }
        }
      }
    } finally {
      await page.close();
    }
  }
} finally {
  await server.close();
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const lines = [
  '# In-browser benchmark (bench/browser-lenet.mjs)',
  '',
  `${measured.map((m) => m.version).join(' and ')}, headless; ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} logical CPUs), ${new Date().toISOString()}.`,
  `LeNet-5 (1x28x28, ReLU, max pooling, 61,706 parameters) training steps of batch ${BATCH} on random data,`,
  `SGD lr 0.01, cross-entropy; per browser ${ROUNDS} rounds, engine order rotating, median of each engine;`,
  `each measurement loads the page afresh and runs whole steps for at least ${SECONDS} s after one warm-up step.`,
  'The page is cross-origin isolated (COOP/COEP headers), as the playground is served, so engines that can use',
  "threads do (Stride's wasm backend at its default, min(logical cores, 4), shown beside it).",
  '',
  '| Row | Browser | Engine | img/s (median) | Stride / engine |',
  '| --- | --- | --- | --- | --- |',
];
for (const { name, results, failures, setups } of measured) {
  const med = Object.fromEntries(ENGINES.map((e) => [e, median(results[e])]));
  for (const e of ENGINES) {
    if (failures[e]) {
      lines.push(`| B1 | ${name} | ${e} | cannot train: ${failures[e].replace(/\|/g, '/')} | - |`);
    } else {
      const engine = setups[e] ? `${e} (${setups[e]})` : e;
      lines.push(
        `| B1 | ${name} | ${engine} | ${med[e].toFixed(1)} | ${(med.stride / med[e]).toFixed(2)}x |`,
      );
    }
  }
}
lines.push('');
const text = lines.join('\n');
const out = join(benchDir, 'BROWSER-RESULTS.md');
writeFileSync(`${out}.tmp`, text);
renameSync(`${out}.tmp`, out);
console.log(text);

#!/usr/bin/env node
// Browser row B1: LeNet-5 training images/s in Chromium (Debian /usr/bin/chromium, headless, driven
// by playwright-core) on the playground's bench page, for Stride (the playground's backend, see
// playground/src/backend-choice.ts), TensorFlow.js cpu and wasm, and ConvNetJS, measured in one
// run: ROUNDS rounds, the engine order rotating between rounds, the median per engine. Writes
// bench/BROWSER-RESULTS.md. Run with: node --import tsx bench/browser-lenet.mjs [--rounds N]
// [--seconds S] [--batch B] (bench/run.mjs does this for `--only browser-w1`).
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
const CHROMIUM = '/usr/bin/chromium';

if (!existsSync(CHROMIUM)) {
  console.error(`[browser-lenet] Debian chromium is not installed (${CHROMIUM}); apt-get install chromium`);
  process.exit(1);
}
ensurePlaygroundBuild();
const server = await serveStatic(PLAYGROUND_DIST);
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
const version = browser.version();
const results = Object.fromEntries(ENGINES.map((e) => [e, []]));
const failures = {};
try {
  for (let round = 0; round < ROUNDS; round++) {
    const order = ENGINES.map((_, i) => ENGINES[(i + round) % ENGINES.length]);
    for (const engine of order) {
      if (failures[engine]) continue;
      // A fresh page per measurement, so one engine's memory and threads do not weigh on the next.
      const page = await browser.newPage();
      try {
        await page.goto(`${server.url}bench.html`);
        await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
        const r = await page.evaluate(([e, b, s]) => globalThis.runBench(e, b, s), [engine, BATCH, SECONDS]);
        results[engine].push(r.imagesPerSecond);
        console.error(
          `[browser-lenet] round ${round + 1} ${engine}: ${r.imagesPerSecond.toFixed(1)} img/s (${r.steps} steps)`,
        );
      } catch (err) {
        failures[engine] = String(err instanceof Error ? err.message : err).split('\n')[0];
        console.error(`[browser-lenet] ${engine} cannot train LeNet-5: ${failures[engine]}`);
      } finally {
        await page.close();
      }
    }
  }
} finally {
  await browser.close();
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
const med = Object.fromEntries(ENGINES.map((e) => [e, median(results[e])]));
const lines = [
  '# In-browser benchmark (bench/browser-lenet.mjs)',
  '',
  `Chromium ${version} headless, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} logical CPUs), ${new Date().toISOString()}.`,
  `LeNet-5 (1x28x28, ReLU, max pooling, 61,706 parameters) training steps of batch ${BATCH} on random data,`,
  `SGD lr 0.01, cross-entropy; ${ROUNDS} rounds, engine order rotating, median of each engine; each`,
  `measurement runs whole steps for at least ${SECONDS} s after one warm-up step.`,
  '',
  '| Row | Engine | img/s (median) | Stride / engine |',
  '| --- | --- | --- | --- |',
];
for (const e of ENGINES) {
  if (failures[e]) {
    lines.push(`| B1 | ${e} | cannot train: ${failures[e].replace(/\|/g, '/')} | - |`);
  } else {
    lines.push(`| B1 | ${e} | ${med[e].toFixed(1)} | ${(med.stride / med[e]).toFixed(2)}x |`);
  }
}
lines.push('');
const text = lines.join('\n');
const out = join(benchDir, 'BROWSER-RESULTS.md');
writeFileSync(`${out}.tmp`, text);
renameSync(`${out}.tmp`, out);
console.log(text);

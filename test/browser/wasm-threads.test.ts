// The wasm backend's threads in a real browser: Debian's chromium (headless, playwright-core) loads
// Stride bundled by esbuild from a local server. Served with COOP/COEP the page is cross-origin
// isolated and the backend runs on Web Workers sharing its memory; served without them it runs
// single-threaded. Both compute a convolution and its gradients equal to the reference backend's.
import assert from 'node:assert/strict';
import { copyFileSync, createReadStream, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM)
  ? false
  : `Debian chromium is not installed (${CHROMIUM}); apt-get install chromium`;
const root = fileURLToPath(new URL('../..', import.meta.url));

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import * as st from './stride.js';
try {
  await st.initWasmBackend({ threads: 2 });
  const run = (name) => st.withBackend(name, () => {
    const x = st.randn([2, 16, 32, 32], { seed: 0 }).requiresGrad_();
    const w = st.randn([32, 16, 3, 3], { seed: 1 }).requiresGrad_();
    const y = st.conv2d(x, w, null, { padding: 1 }).relu();
    y.sum().backward();
    return [y, x.grad, w.grad].map((t) => Array.from(t.data));
  });
  const got = run('wasm');
  const want = run('reference');
  let maxDiff = 0;
  got.forEach((a, i) => a.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - want[i][j]) / (1 + Math.abs(want[i][j]))))));
  window.result = { threads: st.wasmThreads(), isolated: self.crossOriginIsolated === true, maxDiff };
} catch (e) {
  window.result = { error: String(e && e.stack || e) };
}
</script>`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** Serve `dir`'s files; with `isolate`, with the headers that make a page cross-origin isolated. */
async function serve(dir: string, isolate: boolean): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const name = new URL(req.url ?? '/', 'http://localhost').pathname.slice(1) || 'index.html';
    const file = join(dir, name);
    if (!/^[\w.-]+$/.test(name) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream',
      ...(isolate
        ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }
        : {}),
    });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

describe('the wasm backend in Chromium', { skip }, () => {
  let dir = '';
  let browser: import('playwright-core').Browser | null = null;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stride-wasm-browser-'));
    const { build } = await import('esbuild');
    await build({
      entryPoints: [join(root, 'src/index.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      outfile: join(dir, 'stride.js'),
      logLevel: 'error',
    });
    for (const f of ['stride.wasm', 'stride-threads.wasm'])
      copyFileSync(join(root, 'src/backend/wasm', f), join(dir, f));
    writeFileSync(join(dir, 'index.html'), PAGE);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
  });
  after(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const isolate of [true, false]) {
    it(
      isolate
        ? 'cross-origin isolated: 2 threads (a Web Worker helper), results equal the reference'
        : 'not isolated: one thread, the same results',
      { timeout: 120_000 },
      async () => {
        const { url, server } = await serve(dir, isolate);
        try {
          const page = await browser!.newPage();
          await page.goto(url);
          await page.waitForFunction(() => (globalThis as { result?: unknown }).result !== undefined, null, {
            timeout: 90_000,
          });
          const result = (await page.evaluate(() => (globalThis as { result?: unknown }).result)) as {
            threads?: number;
            isolated?: boolean;
            maxDiff?: number;
            error?: string;
          };
          assert.equal(result.error, undefined, result.error);
          assert.deepEqual(
            { threads: result.threads, isolated: result.isolated },
            { threads: isolate ? 2 : 1, isolated: isolate },
          );
          assert.ok(result.maxDiff! < 1e-4, `max relative difference ${result.maxDiff}`);
          await page.close();
        } finally {
          server.close();
        }
      },
    );
  }
});

// The playground in a real browser: Debian's chromium driven headless by playwright-core against
// the static build (built here when missing or stale), served from a loopback port. Screenshots go
// to test-artifacts/playground/.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import * as st from '../../src/node.js';
import { ort, skipOrt } from '../helpers/onnxruntime.js';
import { ensurePlaygroundBuild, PLAYGROUND_DIST, ROOT } from './playground-build.js';
import { serveStatic } from './static-server.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM)
  ? skipOrt
  : `Debian chromium is not installed (${CHROMIUM}); apt-get install chromium`;
const ARTIFACTS = join(ROOT, 'test-artifacts', 'playground');

// Adam steps of batch 16 at learning rate 0.003, testing on the 1,000 MNIST test digits every 20
// steps: the test accuracy must pass the threshold within TRAIN_STEPS steps.
const TRAIN_STEPS = 120;
const TRAIN_THRESHOLD = 0.8;

type Browser = import('playwright-core').Browser;
type Page = import('playwright-core').Page;

// The page's elements as the callbacks below see them (this file compiles without the DOM types).
type Dataset = Record<string, string | undefined>;
/** The data-* attributes of the first element matching `selector`. */
const dataOf = (page: Page, selector: string): Promise<Dataset> =>
  page.$eval(selector, (e) => ({ ...(e as unknown as { dataset: Dataset }).dataset }));

describe('playground in Chromium', { skip, timeout: 180_000 }, () => {
  let browser: Browser;
  let page: Page;
  let server: { url: string; close: () => Promise<void> };
  let scratch: string;

  before(async () => {
    ensurePlaygroundBuild();
    server = await serveStatic(PLAYGROUND_DIST);
    mkdirSync(ARTIFACTS, { recursive: true });
    scratch = mkdtempSync(join(tmpdir(), 'stride-playground-'));
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    assert.deepEqual(errors, []);
    // The page computes on the WebAssembly backend (it falls back to the reference one only when
    // the module cannot load, which would be a packaging bug here).
    assert.equal(await page.textContent('#backend'), 'wasm');
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it(`trains LeNet-5 past ${TRAIN_THRESHOLD * 100}% test accuracy within ${TRAIN_STEPS} steps`, async () => {
    await page.waitForSelector('#train-status[data-ready="true"]', { timeout: 30_000 });
    await page.fill('#train-batch', '16');
    await page.fill('#train-lr', '0.003');
    await page.fill('#train-eval', '20');
    await page.fill('#train-steps', String(TRAIN_STEPS));
    await page.click('#train-start');
    // Until the test accuracy passes the threshold, training stops, or an error shows.
    await page.waitForFunction(
      `(() => { const s = document.getElementById('train-status').dataset;
        return s.error !== undefined || Number(s.testAccuracy) >= ${TRAIN_THRESHOLD} ||
          s.running === 'false' || Number(s.step) >= ${TRAIN_STEPS}; })()`,
      null,
      { timeout: 120_000, polling: 500 },
    );
    await page.click('#train-pause');
    const status = await dataOf(page, '#train-status');
    const text = (await page.textContent('#train-status')) ?? '';
    assert.match(text, /on wasm/, 'the training worker runs on the wasm backend');
    await page.screenshot({ path: join(ARTIFACTS, 'train.png'), fullPage: true });
    assert.equal(status.error, undefined, text);
    assert.ok(Number(status.step) <= TRAIN_STEPS + 20, text);
    assert.ok(Number(status.testAccuracy) >= TRAIN_THRESHOLD, text);
    // The chart and the filter image are drawn.
    assert.ok((await page.$$('#train-chart svg')).length === 1);
    assert.ok(await page.$eval('#train-filters', (c) => (c as unknown as { width: number }).width > 0));
  });

  it('reads a drawn 1 as a 1', async () => {
    const box = (await page.$('#draw-canvas'))!.boundingBox();
    const b = (await box)!;
    await page.mouse.move(b.x + b.width * 0.5, b.y + b.height * 0.15);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width * 0.5, b.y + b.height * 0.85, { steps: 12 });
    await page.mouse.up();
    await page.waitForSelector('#draw-result[data-prediction]', { timeout: 10_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'draw.png'), fullPage: true });
    const prediction = (await dataOf(page, '#draw-result')).prediction;
    assert.equal(prediction, '1', await page.$eval('#draw-result', (e) => e.textContent ?? ''));
    assert.equal((await page.$$('#draw-probs .prob')).length, 10);
  });

  it("explains the decks' first worked convolution: out[0][0] = 1·10 + 2·20 + 4·30 + 5·40 = 370", async () => {
    await page.selectOption('#conv-preset', '0');
    await page.hover('#conv-output-grid [data-oy="0"][data-ox="0"]');
    assert.equal(await page.textContent('#conv-sum'), 'out[0][0] = 1·10 + 2·20 + 4·30 + 5·40 = 370');
    assert.equal((await page.$$('#conv-input-grid .hit')).length, 4);
    // The decks' 7x7 input, 3x3 kernel, stride 3: floor((7 - 3) / 3) + 1 = 2, one row and column unread.
    await page.selectOption('#conv-preset', '');
    await page.fill('#conv-size', '7');
    await page.fill('#conv-kernel', '3');
    await page.fill('#conv-stride', '3');
    await page.selectOption('#conv-padding', 'valid');
    assert.equal((await dataOf(page, '#conv-formula')).out, '2x2');
    assert.match(
      (await page.textContent('#conv-formula')) ?? '',
      /last 1 row\(s\) and 1 column\(s\) are never read/,
    );
    // Dilation 2 on 7x7 with a 3x3 kernel: the window spans 5 pixels, so 3x3 outputs; out[1][1] reads rows 1, 3, 5.
    await page.fill('#conv-stride', '1');
    await page.fill('#conv-dilation', '2');
    assert.equal((await dataOf(page, '#conv-formula')).out, '3x3');
    await page.hover('#conv-output-grid [data-oy="1"][data-ox="1"]');
    const hits = await page.$$eval('#conv-input-grid .cell', (cells) =>
      cells.flatMap((c, i) => (c.classList.contains('hit') ? [i] : [])),
    );
    assert.deepEqual(hits, [8, 10, 12, 22, 24, 26, 36, 38, 40]);
    await page.screenshot({ path: join(ARTIFACTS, 'conv.png'), fullPage: true });
  });

  it('summarizes a dropped ONNX LeNet-5 and runs it on an MNIST digit as onnxruntime does', async () => {
    st.manualSeed(7);
    const model = st.models.lenet5({ variant: 'modern' });
    const onnxPath = join(scratch, 'lenet5.onnx');
    writeFileSync(onnxPath, st.exportOnnx(model, st.randn([1, 1, 28, 28])));
    await page.setInputFiles('#model-file', onnxPath);
    await page.waitForSelector('#model-info[data-params]', { timeout: 20_000 });
    // LeNet-5 by hand: 156 + 2,416 + 48,120 + 10,164 + 850 parameters; multiply-adds
    // 6·28·28·25 + 16·10·10·150 + 400·120 + 120·84 + 84·10.
    assert.equal((await dataOf(page, '#model-info')).params, '61706');
    assert.equal((await dataOf(page, '#model-info')).macs, String(117600 + 240000 + 48000 + 10080 + 840));
    assert.match((await page.textContent('#model-summary')) ?? '', /RF size/);

    const digit = st.loadMnist({ split: 'test', limit: 1 });
    const pixels = Uint8Array.from(digit.data, (v) => Math.round(v * 255));
    const png = join(scratch, 'digit.png');
    await sharp(Buffer.from(pixels), { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toFile(png);
    await page.setInputFiles('#model-image', png);
    await page.waitForSelector('#model-output[data-probs]', { timeout: 10_000 });
    const probs = JSON.parse((await dataOf(page, '#model-output')).probs!) as number[];

    const session = await ort!.InferenceSession.create(onnxPath);
    const input = new ort!.Tensor(
      'float32',
      Float32Array.from(pixels, (v) => v / 255),
      [1, 1, 28, 28],
    );
    const out = await session.run({ [session.inputNames[0]!]: input });
    const logits = [...(out[session.outputNames[0]!]!.data as Float32Array)];
    const m = Math.max(...logits);
    const e = logits.map((v) => Math.exp(v - m));
    const z = e.reduce((a, b) => a + b, 0);
    probs.forEach((p, i) =>
      assert.ok(Math.abs(p - e[i]! / z) < 1e-4, `class ${i}: page ${p}, onnxruntime ${e[i]! / z}`),
    );
    await page.screenshot({ path: join(ARTIFACTS, 'model-onnx.png'), fullPage: true });
  });

  it('summarizes a Stride model saved with st.save', async () => {
    const path = join(scratch, 'lenet5.safetensors');
    st.save(st.models.lenet5(), path);
    await page.setInputFiles('#model-file', path);
    await page.waitForFunction(
      "(document.getElementById('model-info').textContent ?? '').startsWith('lenet5.safetensors: ')",
      null,
      { timeout: 20_000 },
    );
    // The classic LeNet-5 on 1x32x32 has the same 61,706 parameters (see src/models/lenet.ts).
    assert.equal((await dataOf(page, '#model-info')).params, '61706');
    assert.match((await page.textContent('#model-info')) ?? '', /input \[1, 32, 32\] -> output \[10\]/);
    await page.screenshot({ path: join(ARTIFACTS, 'model-stride.png'), fullPage: true });
  });
});

// Style transfer on nsfwjs' pretrained MobileNetV2 with real photos: skimage's cat (content) and
// opencv-doc's Starry Night (style), small and short. The optimization must cut the style loss by
// a large factor while the result stays closer in content to the photo than the painting is.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as st from '../../src/node.js';
import { styleCommand } from '../../src/cli/commands/style.js';
import { readImageWithin } from '../../src/style/read-image-within-node.js';
import { haveSkimage, packageDir, SKIMAGE_DATA } from '../io/helpers/npm-models.js';

const STARRY = '/usr/share/doc/opencv-doc/examples/data/starry_night.jpg';
const CAT = join(SKIMAGE_DATA, 'chelsea.png');
const skip = !packageDir('nsfwjs')
  ? 'nsfwjs is not installed (npm install -D nsfwjs)'
  : !haveSkimage()
    ? 'the sample photos are missing (apt-get install python3-skimage)'
    : !existsSync(STARRY)
      ? "opencv-doc's starry_night.jpg is missing (apt-get install opencv-doc)"
      : false;

describe('styleTransfer on a pretrained backbone', { skip }, () => {
  it('lowers the style loss by a large factor while the content loss stays bounded', async () => {
    const backbone = st.loadNsfwjsBackbone();
    const content = await readImageWithin(CAT, 64);
    const style = await readImageWithin(STARRY, 64);
    const steps: st.StyleTransferStep[] = [];
    const { image, history } = st.styleTransfer({
      content,
      style,
      backbone: backbone.graph,
      contentLayers: backbone.contentLayers,
      styleLayers: backbone.styleLayers,
      steps: 25,
      onStep: (s) => steps.push(s),
    });
    assert.deepEqual(image.shape, [1, ...content.shape]);
    assert.deepEqual(steps, history);
    assert.ok(history.length >= 25, `${history.length} evaluations`);
    const first = history[0]!;
    const last = history[history.length - 1]!;
    assert.equal(first.content, 0, 'starts from the content image');
    assert.ok(last.style < first.style / 10, `style loss ${first.style} -> ${last.style}`);
    // Bounded content: the result is nearer the photo's content features than the painting is.
    const [layer] = backbone.contentLayers as [string];
    const f = st.featureExtractor(backbone.graph, [layer]).eval();
    const painting = st.noGrad(() => {
      const [, h, w] = content.shape as [number, number, number];
      const resized = st.resizeImage(style, [h, w]);
      return st.contentLoss(f.forward(st.unsqueeze(resized, 0)), f.forward(st.unsqueeze(content, 0))).item();
    });
    assert.ok(last.content < painting / 2, `content loss ${last.content} vs the painting's ${painting}`);
    assert.ok(
      image.data.every((v) => v >= 0 && v <= 1),
      'pixels in [0, 1]',
    );
  });
});

const root = fileURLToPath(new URL('../..', import.meta.url));
function stride(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('stride style', { skip }, () => {
  it('writes a PNG and prints the loss of every step', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stride-style-'));
    try {
      const out = join(dir, 'out.png');
      const r = stride('style', CAT, STARRY, '--out', out, '--steps', '3', '--size', '32');
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /step 1\/3 {2}loss \S+ {2}\(content 0\.000e\+0, style \S+, tv/);
      assert.match(r.out, /step 3\/3 /);
      const img = await st.readImage(out);
      assert.deepEqual(img.shape, [3, 21, 32], "the cat photo's 451x300 aspect at 32 pixels wide");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names a file that is not an image, and a missing --out', async () => {
    await assert.rejects(
      () => styleCommand([fileURLToPath(import.meta.url), STARRY, '--out', join(tmpdir(), 'never.png')]),
      /style-transfer\.test\.ts: not an image \(expected JPEG, PNG or WebP bytes\)/,
    );
    await assert.rejects(() => styleCommand([CAT, STARRY]), /--out is required/);
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CAMERA = '/usr/lib/python3/dist-packages/skimage/data/camera.png';

function stride(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('stride viz and stride plot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stride-viz-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('viz filters writes the kernel grid, enlarged, and names unknown layers', async () => {
    const out = join(dir, 'filters.png');
    const r = stride('viz', 'filters', 'lenet5', '--layer', 'c1', '--out', out);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /kernels of c1/);
    // 6 kernels of 5x5 in a 3x2 grid (13 x 19 pixels) enlarged 13 times (to about 256 pixels).
    const m = await sharp(out).metadata();
    assert.deepEqual([m.width, m.height], [19 * 13, 13 * 13]);
    const bad = stride('viz', 'filters', 'lenet5', '--layer', 'conv7', '--out', out);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /no layer named 'conv7'. Its layers are: c1, act1/);
  });

  it('viz gradcam draws the map over an image at the input size', async () => {
    const image = join(dir, 'in.png');
    await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 200, g: 30, b: 90 } } })
      .png()
      .toFile(image);
    const out = join(dir, 'cam.png');
    const r = stride('viz', 'gradcam', 'lenet5', image, '--layer', 'act3', '--target', '2', '--out', out);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Grad-CAM of act3 for class 2/);
    const m = await sharp(out).metadata();
    assert.deepEqual([m.width, m.height, m.channels], [256, 256, 3]); // LeNet-5's 32x32 input, 8 times
  });

  it(
    'viz edges tiles the 8 directions and the magnitude',
    { skip: existsSync(CAMERA) ? false : 'python3-skimage is not installed' },
    async () => {
      const out = join(dir, 'edges.png');
      const r = stride('viz', 'edges', CAMERA, '--out', out);
      assert.equal(r.code, 0, r.err);
      const m = await sharp(out).metadata();
      assert.deepEqual([m.width, m.height], [3 * 512 + 4 * 2, 3 * 512 + 4 * 2]);
    },
  );

  it('train writes its charts next to the checkpoint and plot draws them again', async () => {
    const run = join(dir, 'run');
    const t = stride(
      'train',
      'lenet5',
      '--epochs',
      '2',
      '--train-limit',
      '300',
      '--test-limit',
      '100',
      '--out',
      run,
    );
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /plots: .*history\.csv, .*history\.png, .*confusion\.json, .*confusion\.png/);
    assert.match(t.out.trim().split('\n').at(-1)!, /^test accuracy: /);
    const r = stride('plot', run, '--format', 'svg');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /2 epochs of loss, accuracy, lr; wrote .*history\.svg, .*confusion\.svg/);
    const m = await sharp(join(run, 'history.png')).metadata();
    assert.deepEqual([m.width, m.height], [3 * 420, 300]); // loss, accuracy and learning-rate panels
    const noOut = stride('viz', 'filters', 'lenet5', '--layer', 'c1');
    assert.equal(noOut.code, 2);
    assert.match(noOut.err, /--out file.png is required/);
  });
});

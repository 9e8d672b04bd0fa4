import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

  it("plot draws a run folder's history.csv and refuses bad usage", async () => {
    writeFileSync(join(dir, 'history.csv'), 'epoch,loss,accuracy\n0,1.5,0.4\n1,0.9,0.7\n2,0.5,0.85\n');
    const r = stride('plot', dir);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /3 epochs of loss, accuracy; wrote .*history\.png/);
    const m = await sharp(join(dir, 'history.png')).metadata();
    assert.deepEqual([m.width, m.height], [840, 300]);
    assert.equal(stride('viz', 'filters', 'lenet5', '--layer', 'c1').code, 2);
    assert.match(
      stride('viz', 'paint', 'lenet5', '--out', 'x.png').err,
      /must be one of filters, activations/,
    );
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import * as st from '../../../src/index.js';

const require = createRequire(import.meta.url);

/** The root directory of an installed npm package, or null when it is not installed. */
export function packageDir(name: string): string | null {
  let dir: string;
  try {
    dir = dirname(require.resolve(name));
  } catch {
    return null;
  }
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === name)
      return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** An nsfwjs model as its package bundles it: the model.json object and the weight bytes (base64 shards in JS files). */
export function nsfwjsModel(
  variant: 'mobilenet_v2' | 'mobilenet_v2_mid' | 'inception_v3',
): { json: unknown; data: Uint8Array } | null {
  const root = packageDir('nsfwjs');
  if (!root) return null;
  const dir = join(root, 'dist', 'models', variant);
  const json = require(join(dir, 'model.min.js')) as unknown;
  const count = { mobilenet_v2: 1, mobilenet_v2_mid: 2, inception_v3: 6 }[variant];
  const shards = Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}`).map((s) =>
    Buffer.from(require(join(dir, `${s}.min.js`)) as string, 'base64'),
  );
  return { json, data: new Uint8Array(Buffer.concat(shards)) };
}

/** Debian's python3-skimage sample images. */
export const SKIMAGE_DATA = '/usr/lib/python3/dist-packages/skimage/data';

/** Whether the sample images are installed. */
export function haveSkimage(): boolean {
  return existsSync(join(SKIMAGE_DATA, 'astronaut.png'));
}

/**
 * The node:test `skip` option of a test that runs an nsfwjs model on the sample photos: why it
 * cannot run, or false when it can.
 */
export function nsfwjsPhotoSkip(model: unknown): string | false {
  if (!model) return 'nsfwjs is not installed (npm install -D nsfwjs @tensorflow/tfjs)';
  if (!haveSkimage()) return 'the sample photos are missing (apt-get install python3-skimage)';
  return false;
}

/**
 * A photo as float32 RGB values, resized (after an optional crop) to `size` x `size`, both in
 * TF.js layout [1, H, W, 3] (for tfjs) and Stride layout [1, 3, H, W]; values are scaled by `scale`.
 */
export async function photo(
  file: string,
  size: number,
  scale: number,
  crop?: { left: number; top: number; width: number; height: number },
): Promise<{ nhwc: Float32Array; nchw: st.Tensor }> {
  let img = sharp(join(SKIMAGE_DATA, file)).removeAlpha().toColourspace('srgb');
  if (crop) img = img.extract(crop);
  const { data } = await img.resize(size, size, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  const channels = data.length / (size * size);
  const nhwc = new Float32Array(size * size * 3);
  for (let p = 0; p < size * size; p++)
    for (let c = 0; c < 3; c++) nhwc[p * 3 + c] = data[p * channels + (channels === 1 ? 0 : c)]! * scale;
  const nchw = st.permute(new st.Tensor(nhwc.slice(), [1, size, size, 3]), [0, 3, 1, 2]).clone();
  return { nhwc, nchw };
}

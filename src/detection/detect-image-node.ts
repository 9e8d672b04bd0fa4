import { ValueError } from '../errors.js';
import { permute } from '../ops/shape-ops.js';
import { Tensor } from '../tensor/tensor.js';
import type { Box } from '../vision/iou.js';
import type { DetectOptions, Detector } from './detector.js';

/** One detected object in photo pixels. */
export interface Detection {
  box: Box;
  score: number;
  label: number;
  className: string;
}

/**
 * Run `detector` on a photo file or encoded image (JPEG, PNG, … decoded by sharp): the photo is
 * fitted to the detector's square input as the detector's package does, and the boxes are mapped
 * back to the photo's pixels. Highest score first.
 */
export async function detectImage(
  detector: Detector,
  image: string | Buffer,
  opts: DetectOptions = {},
): Promise<{ width: number; height: number; detections: Detection[] }> {
  let sharp: typeof import('sharp').default;
  try {
    sharp = (await import('sharp')).default;
  } catch (e) {
    throw new ValueError(
      'detectImage',
      `sharp could not be loaded (${(e as Error).message}). Fix: npm install sharp`,
    );
  }
  const src = sharp(image).rotate().removeAlpha().toColourspace('srgb');
  let meta;
  try {
    meta = await sharp(await src.clone().png().toBuffer()).metadata();
  } catch (e) {
    const what = typeof image === 'string' ? `'${image}'` : 'the image buffer';
    throw new ValueError('detectImage', `${what} is not an image sharp can read (${(e as Error).message})`);
  }
  const width = meta.width!;
  const height = meta.height!;
  const S = detector.inputSize;
  let fitted = src;
  let sx = width / S;
  let sy = height / S;
  if (detector.fit === 'pad') {
    const side = Math.max(width, height);
    fitted = sharp(
      await src
        .extend({ right: side - width, bottom: side - height, background: { r: 0, g: 0, b: 0 } })
        .png()
        .toBuffer(),
    );
    sx = sy = side / S;
  }
  const { data } = await fitted.resize(S, S, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  const nhwc = new Tensor(Float32Array.from(data), [1, S, S, 3]);
  const d = detector.detect(permute(nhwc, [0, 3, 1, 2]).clone(), opts);
  const detections = d.boxes.map((b, i) => ({
    box: [b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy] as Box,
    score: d.scores[i]!,
    label: d.labels[i]!,
    className: detector.classNames[d.labels[i]!] ?? String(d.labels[i]),
  }));
  detections.sort((a, b) => b.score - a.score);
  return { width, height, detections };
}

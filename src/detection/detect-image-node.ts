import { readImageBytes, decodeImage } from '../image/read-image-node.js';
import { loadSharp } from '../image/sharp-loader-node.js';
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
 * Run `detector` on a photo file or encoded image (JPEG, PNG, WebP, … decoded as `st.readImage`
 * does, with its file errors): the photo is fitted to the detector's square input as the
 * detector's package does, and the boxes are mapped back to the photo's pixels. Highest score first.
 */
export async function detectImage(
  detector: Detector,
  image: string | Uint8Array,
  opts: DetectOptions = {},
): Promise<{ width: number; height: number; detections: Detection[] }> {
  const op = 'detectImage';
  const source = typeof image === 'string' ? image : 'image bytes';
  const bytes = typeof image === 'string' ? await readImageBytes(op, image) : image;
  const full = await decodeImage(op, bytes, source, { size: undefined, channels: 3, fit: 'fill' });
  const { width, height } = full;
  const S = detector.inputSize;
  let sx = width / S;
  let sy = height / S;
  let pipeline = (await loadSharp(op))(full.data, { raw: { width, height, channels: 3 } });
  if (detector.fit === 'pad') {
    // face-api pads the photo at the bottom and right to a square, then resizes.
    const side = Math.max(width, height);
    pipeline = (await loadSharp(op))(
      await pipeline
        .extend({ right: side - width, bottom: side - height, background: { r: 0, g: 0, b: 0 } })
        .raw()
        .toBuffer(),
      { raw: { width: side, height: side, channels: 3 } },
    );
    sx = sy = side / S;
  }
  const data = await pipeline.resize(S, S, { fit: 'fill' }).raw().toBuffer();
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

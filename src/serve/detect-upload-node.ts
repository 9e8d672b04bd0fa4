import { detectImage } from '../detection/detect-image-node.js';
import { ImageFileError } from '../image/image-file-error.js';
import { HttpError } from './http-error.js';
import { checkImageHeader } from './image-input-node.js';
import type { ServedDetector } from './served-detector.js';

/** One box of a `/detect` answer, in the uploaded image's pixels. */
export interface DetectedBox {
  /** The class name. */
  label: string;
  score: number;
  /** [x1, y1, x2, y2] in input-image pixels. */
  box: [number, number, number, number];
}

/**
 * Detect objects in one uploaded image (JPEG/PNG/WebP) with `st.detectImage` (the detector's own
 * fitting and decode), after the header checks; highest score first. `threshold` overrides the
 * detector's own score threshold. Undecodable images are a 400.
 */
export async function detectUpload(
  image: Buffer,
  served: ServedDetector,
  o: { maxPixels: number; threshold?: number },
): Promise<{ width: number; height: number; detections: DetectedBox[] }> {
  await checkImageHeader(image, o.maxPixels);
  let found;
  try {
    found = await detectImage(
      served.detector,
      image,
      o.threshold !== undefined ? { scoreThreshold: o.threshold } : {},
    );
  } catch (e) {
    if (e instanceof ImageFileError) throw new HttpError(400, `the image could not be decoded: ${e.problem}`);
    throw e;
  }
  return {
    width: found.width,
    height: found.height,
    detections: found.detections.map((d) => ({ label: d.className, score: d.score, box: [...d.box] })),
  };
}

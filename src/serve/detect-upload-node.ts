import type { DetectJob, DetectResult } from './detector-runner-node.js';
import { checkImageHeader } from './image-input-node.js';

/** One box of a `/detect` answer, in the uploaded image's pixels. */
export interface DetectedBox {
  /** The class name. */
  label: string;
  score: number;
  /** [x1, y1, x2, y2] in input-image pixels. */
  box: [number, number, number, number];
}

/**
 * Detect objects in one uploaded image (JPEG/PNG/WebP) after the header checks: `run` is the
 * detector's queue (`st.detectImage`, the detector's own fitting and decode, in its worker thread);
 * highest score first. `threshold` overrides the detector's own score threshold.
 */
export async function detectUpload(
  image: Buffer,
  o: { maxPixels: number; threshold?: number; run(job: DetectJob): Promise<DetectResult> },
): Promise<{ width: number; height: number; detections: DetectedBox[] }> {
  await checkImageHeader(image, o.maxPixels);
  const found = await o.run({
    image,
    opts: o.threshold !== undefined ? { scoreThreshold: o.threshold } : {},
  });
  return {
    width: found.width,
    height: found.height,
    detections: found.detections.map((d) => ({ label: d.className, score: d.score, box: [...d.box] })),
  };
}

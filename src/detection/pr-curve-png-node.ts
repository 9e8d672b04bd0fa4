import { writeFileAtomic } from '../io/atomic-write-node.js';
import type { PrCurve } from './average-precision.js';
import { prCurveSvg, type PrCurveSvgOptions } from './pr-curve-svg.js';

/** Render precision-recall curves ({@link prCurveSvg}) to a PNG file, written atomically. */
export async function savePrCurvePng(
  path: string,
  curves: readonly { label: string; curve: PrCurve }[],
  opts: PrCurveSvgOptions = {},
): Promise<void> {
  const sharp = (await import('sharp')).default;
  const png = await sharp(Buffer.from(prCurveSvg(curves, opts)))
    .png()
    .toBuffer();
  writeFileAtomic(path, png);
}

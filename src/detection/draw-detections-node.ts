import { decodeImage, readImageBytes } from '../image/read-image-node.js';
import { loadSharp } from '../image/sharp-loader-node.js';
import { writeFileAtomic } from '../io/atomic-write-node.js';
import type { Detection } from './detect-image-node.js';
import { escapeXml } from '../viz/svg.js';

const PALETTE = [
  '#e6194b',
  '#3cb44b',
  '#4363d8',
  '#f58231',
  '#911eb4',
  '#42d4f4',
  '#f032e6',
  '#9a6324',
  '#800000',
  '#000075',
];

/** An SVG overlay of labelled boxes ("class 0.93") for a width × height picture. */
export function detectionsSvg(width: number, height: number, detections: readonly Detection[]): string {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 200));
  const font = Math.max(12, Math.round(Math.min(width, height) / 35));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`,
  ];
  for (const d of detections) {
    const [x1, y1, x2, y2] = d.box.map((v) => Math.round(v)) as [number, number, number, number];
    const color = PALETTE[d.label % PALETTE.length]!;
    const text = `${d.className} ${d.score.toFixed(2)}`;
    const ty = Math.max(y1, font + 4);
    parts.push(
      `<rect x="${x1}" y="${y1}" width="${Math.max(x2 - x1, 1)}" height="${Math.max(y2 - y1, 1)}" fill="none" stroke="${color}" stroke-width="${stroke}"/>`,
      `<rect x="${x1}" y="${ty - font - 4}" width="${Math.round(text.length * font * 0.6) + 8}" height="${font + 4}" fill="${color}"/>`,
      `<text x="${x1 + 4}" y="${ty - 4}" font-size="${font}" fill="white">${escapeXml(text)}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * Draw labelled boxes on a photo (file or encoded image, decoded as `detectImage` decodes it) and
 * write it as PNG to `outPath`, atomically.
 */
export async function drawDetections(
  image: string | Uint8Array,
  detections: readonly Detection[],
  outPath: string,
): Promise<void> {
  const op = 'drawDetections';
  const source = typeof image === 'string' ? image : 'image bytes';
  const bytes = typeof image === 'string' ? await readImageBytes(op, image) : image;
  const { data, width, height } = await decodeImage(op, bytes, source, {
    size: undefined,
    channels: 3,
    fit: 'fill',
  });
  const overlay = Buffer.from(detectionsSvg(width, height, detections));
  const png = await (
    await loadSharp(op)
  )(data, { raw: { width, height, channels: 3 } })
    .composite([{ input: overlay, top: 0, left: 0 }])
    .png()
    .toBuffer();
  writeFileAtomic(outPath, png);
}

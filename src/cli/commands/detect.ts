import { existsSync } from 'node:fs';
import * as st from '../../node.js';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from '../args.js';

const specs = {
  out: { type: 'string', help: 'write the photo with labelled boxes to this PNG file' },
  json: { type: 'boolean', help: 'print the detections as JSON' },
  threshold: { type: 'number', help: 'keep detections scoring above this (default: the model’s own)' },
} satisfies Record<string, OptionSpec>;

/** Help of `stride detect`. */
export const detectHelp = `stride detect <model> <image> [options]

Find objects in a photo with a pretrained detector run by Stride and print them (class, score,
box in photo pixels), as JSON with --json, and/or draw them on the photo with --out.

  <model>  ${st.DETECTORS.join(' | ')}: centernet = @vladmandic/human's CenterNet (80 COCO
           classes, threshold 0.2); tiny-face = @vladmandic/face-api's tiny face detector (0.5)
  <image>  a JPEG, PNG, WebP, ... file

${formatOptions(specs)}`;

/** `stride detect <model> <image>` */
export async function detectCommand(argv: readonly string[]): Promise<void> {
  const { positional, options } = parseArgs(argv, specs);
  if (positional.length !== 2)
    throw new UsageError(`detect needs a model and an image, got ${positional.length} arguments`);
  const [name, image] = positional as [string, string];
  if (!(st.DETECTORS as readonly string[]).includes(name)) {
    throw new UsageError(`unknown detector '${name}'; expected one of ${st.DETECTORS.join(', ')}`);
  }
  if (!existsSync(image)) throw new UsageError(`no such image file: ${image}`);
  const threshold = options['threshold'] as number | undefined;
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1))
    throw new UsageError('--threshold must be in [0, 1]');
  const detector = st.loadDetector(name);
  const { width, height, detections } = await st.detectImage(
    detector,
    image,
    threshold !== undefined ? { scoreThreshold: threshold } : {},
  );
  const out = options['out'] as string | undefined;
  if (out) await st.drawDetections(image, detections, out);
  if (options['json']) {
    console.log(JSON.stringify({ model: name, image, width, height, detections }, null, 2));
    return;
  }
  console.log(`${detections.length} detection(s) in ${image} (${width}x${height}) by ${name}:`);
  console.log(
    st.formatTable(
      ['class', 'score', 'x1', 'y1', 'x2', 'y2'],
      detections.map((d) => [d.className, d.score.toFixed(3), ...d.box.map((v) => v.toFixed(1))]),
    ),
  );
  if (out) console.log(`wrote ${out}`);
}

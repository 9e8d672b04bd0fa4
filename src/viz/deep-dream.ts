import { ShapeError, ValueError } from '../errors.js';
import { graphInputShape } from '../inspect/trace.js';
import type { Module } from '../nn/module.js';
import { requireImageBatch } from '../ops/pool2d.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { ascentStep } from './gradient-ascent.js';
import { clampInPlace, resizeBilinear } from './image-ops.js';
import { withInputGradients } from './input-gradient-mode.js';

/** Options of {@link deepDream}. */
export interface DeepDreamOptions {
  /** Dotted names of the layers whose activations are amplified (the sum of their mean squares is raised). */
  layers: readonly string[];
  /** Image scales, smallest first, each `octaveScale` times the previous; the last is the image's own (default 3). */
  octaves?: number;
  /** Size ratio between octaves (default 1.4). */
  octaveScale?: number;
  /** Gradient-ascent steps per octave (default 10). */
  steps?: number;
  /** Step size as a fraction of the image's value range, applied to the gradient divided by its mean |value| (default 0.01). */
  lr?: number;
  /** Random shift of up to this many pixels before every step (default 2). */
  jitter?: number;
  /** The value range kept after every step (default: the input image's own min and max). */
  range?: readonly [number, number];
  /** Seed of the jitter (default 0). */
  seed?: number;
}

/** The default of {@link deepDream}'s `octaves`, declared once (`stride viz dream` shows and uses it). */
export const DEEP_DREAM_DEFAULTS = { octaves: 3 } as const;

/**
 * DeepDream (Mordvintsev et al. 2015): gradient ascent on a photo [1, C, H, W] that amplifies
 * whatever the chosen layers already see, octave by octave: the image is first dreamed at a
 * reduced size, then enlarged, its lost detail added back, and dreamed again. Returns the new
 * image [1, C, H, W] with every value in `range`. The model runs in evaluation mode and is not
 * changed.
 */
export function deepDream(model: Module, image: Tensor, opts: DeepDreamOptions): Tensor {
  const op = 'deepDream';
  requireImageBatch(op, image);
  if (image.shape[0] !== 1) {
    throw new ShapeError(
      op,
      'dream one image at a time',
      '[1, C, H, W]',
      image.shape,
      'pass image.slice(0, i, i + 1)',
    );
  }
  if (!Array.isArray(opts?.layers) || opts.layers.length === 0) {
    throw new ValueError(op, "options need at least one layer, e.g. { layers: ['features.10'] }");
  }
  const octaves = opts.octaves ?? DEEP_DREAM_DEFAULTS.octaves;
  const octaveScale = opts.octaveScale ?? 1.4;
  const steps = opts.steps ?? 10;
  if (
    !Number.isInteger(octaves) ||
    octaves < 1 ||
    !(octaveScale >= 1) ||
    !Number.isInteger(steps) ||
    steps < 0
  ) {
    throw new ValueError(
      op,
      `octaves >= 1 and steps >= 0 must be integers and octaveScale >= 1; got ${octaves}, ${steps}, ${octaveScale}`,
    );
  }
  const fixed = graphInputShape(model);
  if (fixed && octaves > 1) {
    throw new ValueError(
      op,
      `this graph declares a fixed input of [${fixed.join(', ')}], but octaves run the model on smaller images. ` +
        'Fix: pass octaves: 1 (imported ONNX/TF.js graphs keep their declared input size)',
    );
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of image.data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const [rlo, rhi] = opts.range ?? [lo, hi];
  const lr = (opts.lr ?? 0.01) * (rhi - rlo || 1);
  const rng = new Rng(opts.seed ?? 0);
  const [H, W] = [image.shape[2]!, image.shape[3]!];
  const sizes = Array.from({ length: octaves }, (_, o) => {
    const f = octaveScale ** (octaves - 1 - o);
    return [Math.max(1, Math.round(H / f)), Math.max(1, Math.round(W / f))] as const;
  });
  const originals = sizes.map(([h, w]) => resizeBilinear(image.detach(), h, w));
  const objective = (outputs: Map<string, Tensor>): Tensor => {
    let total: Tensor | null = null;
    for (const name of opts.layers) {
      const a = outputs.get(name);
      if (!a) throw new ValueError(op, `layer '${name}' did not run in the model's forward pass`);
      const term = a.mul(a).mean();
      total = total ? total.add(term) : term;
    }
    return total!;
  };
  return withInputGradients(model, () => {
    let x = new Tensor(originals[0]!.data.slice(), originals[0]!.shape);
    sizes.forEach(([h, w], o) => {
      if (o > 0) {
        // Enlarge the dream and add back the detail that shrinking the photo lost.
        const up = resizeBilinear(x, h, w);
        const lost = originals[o]!.sub(resizeBilinear(originals[o - 1]!, h, w));
        x = new Tensor(up.add(lost).data.slice(), up.shape);
      }
      for (let s = 0; s < steps; s++) {
        x = ascentStep(op, model, x, opts.layers, objective, { lr, jitter: opts.jitter ?? 2, rng }).image;
        clampInPlace(x, rlo, rhi);
      }
      clampInPlace(x, rlo, rhi);
    });
    return x;
  });
}

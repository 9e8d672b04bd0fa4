import { noGrad } from '../autograd/grad-mode.js';
import { ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { requireImageBatch } from '../ops/pool2d.js';
import { Tensor } from '../tensor/tensor.js';
import { resolveTarget, type ClassTarget } from './class-target.js';

/** Options of {@link occlusion}. */
export interface OcclusionOptions {
  /** The class whose logit is watched (default: the predicted class of each sample). */
  target?: ClassTarget;
  /** Side of the square patch in pixels (default 8). */
  patch?: number;
  /** Step between patch positions (default patch / 2, rounded down, at least 1). */
  stride?: number;
  /** Value the patch is filled with (default 0). */
  fill?: number;
  /** Occluded images per forward pass (default 32). */
  batchSize?: number;
}

/**
 * Occlusion sensitivity (Zeiler & Fergus 2014): slide a grey patch over the image and record how
 * much the target logit drops; each pixel gets the mean drop over the patch positions that cover
 * it: [N, C, H, W] -> [N, 1, H, W], positive where hiding the pixel hurts the class. Needs only
 * forward passes (no gradients), so it also explains models that are not differentiable.
 */
export function occlusion(model: Module, x: Tensor, opts: OcclusionOptions = {}): Tensor {
  const op = 'occlusion';
  requireImageBatch(op, x);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const patch = opts.patch ?? 8;
  const stride = opts.stride ?? Math.max(1, Math.floor(patch / 2));
  const fill = opts.fill ?? 0;
  const batch = opts.batchSize ?? 32;
  for (const [name, v] of [
    ['patch', patch],
    ['stride', stride],
    ['batchSize', batch],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new ValueError(op, `${name} must be a positive integer; got ${v}`);
  }
  // Patch corners every `stride` pixels, plus one flush with the far edge so every pixel is covered.
  const starts = (size: number): number[] => {
    const last = Math.max(0, size - patch);
    const s: number[] = [];
    for (let p = 0; p < last; p += stride) s.push(p);
    s.push(last);
    return s;
  };
  const positions = starts(h).flatMap((y) => starts(w).map((xx) => [y, xx] as const));
  const training = model.modules().map((m) => [m, m.training] as const);
  model.eval();
  try {
    return noGrad(() => {
      const base = model.forward(x);
      const classes = resolveTarget(op, base, opts.target);
      const k = base.shape[1]!;
      const per = c * h * w;
      const sum = new Float64Array(n * h * w);
      const count = new Float64Array(n * h * w);
      for (let i = 0; i < n; i++) {
        const clean = base.data[i * k + classes[i]!]!;
        for (let b0 = 0; b0 < positions.length; b0 += batch) {
          const group = positions.slice(b0, b0 + batch);
          const data = new Float32Array(group.length * per);
          group.forEach(([y0, x0], g) => {
            data.set(x.data.subarray(i * per, (i + 1) * per), g * per);
            for (let ch = 0; ch < c; ch++)
              for (let y = y0; y < Math.min(h, y0 + patch); y++)
                data.fill(
                  fill,
                  g * per + (ch * h + y) * w + x0,
                  g * per + (ch * h + y) * w + Math.min(w, x0 + patch),
                );
          });
          const logits = model.forward(new Tensor(data, [group.length, c, h, w]));
          group.forEach(([y0, x0], g) => {
            const drop = clean - logits.data[g * k + classes[i]!]!;
            for (let y = y0; y < Math.min(h, y0 + patch); y++)
              for (let xx = x0; xx < Math.min(w, x0 + patch); xx++) {
                sum[i * h * w + y * w + xx]! += drop;
                count[i * h * w + y * w + xx]! += 1;
              }
          });
        }
      }
      const out = new Float32Array(n * h * w);
      for (let p = 0; p < out.length; p++) out[p] = count[p]! > 0 ? sum[p]! / count[p]! : 0;
      return new Tensor(out, [n, 1, h, w]);
    });
  } finally {
    for (const [m, t] of training) m.training = t;
  }
}

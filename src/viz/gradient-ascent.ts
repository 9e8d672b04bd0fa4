import type { Module } from '../nn/module.js';
import type { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { captureOutputs } from './capture-outputs.js';
import { inputLeaf } from './input-leaf.js';
import { rollImage } from './image-ops.js';

/** The quantity gradient ascent raises, from the captured layer outputs and the input. */
export type AscentObjective = (outputs: Map<string, Tensor>, input: Tensor) => Tensor;

/**
 * One step of gradient ascent on the input image (the caller holds input-gradient mode): roll
 * the image by a random shift of up to `jitter` pixels, run the model with hooks on `layers`,
 * back-propagate `objective`, roll the gradient back and move the image by `lr` times the
 * gradient divided by its mean absolute value (so `lr` is a step size in input units).
 * Returns the new image and the objective's value before the step.
 */
export function ascentStep(
  op: string,
  model: Module,
  x: Tensor,
  layers: readonly string[],
  objective: AscentObjective,
  step: { lr: number; jitter: number; rng: Rng },
): { image: Tensor; value: number } {
  const dy = step.jitter > 0 ? step.rng.int(-step.jitter, step.jitter + 1) : 0;
  const dx = step.jitter > 0 ? step.rng.int(-step.jitter, step.jitter + 1) : 0;
  const leaf = inputLeaf(dy || dx ? rollImage(x, dy, dx) : x);
  const { outputs } = captureOutputs(op, model, layers, () => model.forward(leaf));
  const value = objective(outputs, leaf);
  value.backward();
  const grad = dy || dx ? rollImage(leaf.grad!, -dy, -dx) : leaf.grad!;
  let meanAbs = 0;
  for (const g of grad.data) meanAbs += Math.abs(g);
  meanAbs /= grad.size;
  const out = new Float32Array(x.size);
  const scale = meanAbs > 0 ? step.lr / meanAbs : 0;
  for (let i = 0; i < out.length; i++) out[i] = x.data[i]! + scale * grad.data[i]!;
  return { image: new Tensor(out, x.shape), value: value.item() };
}

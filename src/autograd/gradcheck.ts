import { ValueError } from '../errors.js';
import { noGrad } from './grad-mode.js';
import { Tensor } from '../tensor/tensor.js';

/** Options of {@link gradcheck}. */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
  /** Throw on mismatch (default true); otherwise return false. */
  raiseException?: boolean;
}

/**
 * Compare the analytic gradients of `fn` at `inputs` with central finite differences, as
 * `torch.autograd.gradcheck` does. Inputs must be float64 tensors; those with requiresGrad are
 * checked. The function's output may have any shape: the check projects it onto a fixed random
 * direction so one backward pass covers every output element.
 */
export function gradcheck(
  fn: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  opts: GradcheckOptions = {},
): boolean {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-3;
  for (const [i, x] of inputs.entries()) {
    if (x.dtype !== 'float64') {
      throw new ValueError(
        'gradcheck',
        `input ${i} is ${x.dtype}; finite differences need float64 inputs (use .to('float64'))`,
      );
    }
  }
  const out0 = fn(...inputs);
  // A fixed pseudo-random projection makes the scalar sum(w * out) sensitive to every output.
  const w = new Float64Array(out0.size);
  for (let j = 0; j < w.length; j++) w[j] = Math.sin(12.9898 * (j + 1)) * 0.5 + 0.75;
  const project = (t: Tensor): number => {
    let s = 0;
    for (let j = 0; j < t.size; j++) s += t.data[j]! * w[j]!;
    return s;
  };
  for (const x of inputs) x.grad = null;
  if (!out0.requiresGrad)
    throw new ValueError('gradcheck', 'the output does not depend on any input with requiresGrad');
  out0.backward(new Tensor(w, out0.shape));
  for (const [i, x] of inputs.entries()) {
    if (!x.requiresGrad) continue;
    const analytic = x.grad ? x.grad.data : new Float64Array(x.size);
    for (let j = 0; j < x.size; j++) {
      const orig = x.data[j]!;
      x.data[j] = orig + eps;
      const fp = noGrad(() => project(fn(...inputs)));
      x.data[j] = orig - eps;
      const fm = noGrad(() => project(fn(...inputs)));
      x.data[j] = orig;
      const numeric = (fp - fm) / (2 * eps);
      const a = analytic[j]!;
      if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
        if (opts.raiseException === false) return false;
        throw new ValueError(
          'gradcheck',
          `gradient mismatch for input ${i} at element ${j}: analytic ${a}, numeric ${numeric}`,
        );
      }
    }
  }
  return true;
}

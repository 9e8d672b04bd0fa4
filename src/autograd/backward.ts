import { AutogradError, ShapeError } from '../errors.js';
import { add } from '../ops/elementwise.js';
import { full } from '../tensor/creation.js';
import { shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  escapeGradientBuffer,
  releaseGradientBuffer,
  withGradientPool,
} from '../tensor/gradient-buffer-pool.js';
import type { GradFn } from './grad-fn.js';
import { noGrad } from './grad-mode.js';

/** Options of `Tensor.backward`. */
export interface BackwardOptions {
  /**
   * Keep the graph (the tensors each operation saved for its backward) so that another backward
   * pass can run through it; by default each node lets go of them as soon as its backward has run,
   * as PyTorch does without `retain_graph`.
   */
  retainGraph?: boolean;
}

/** What a node of the graph becomes once its backward ran: no inputs, nothing saved. */
function consumed(fn: GradFn): GradFn {
  // Only the name and attributes are kept: a closure over `fn` would keep everything it saved.
  const { name, attrs } = fn;
  return {
    name,
    inputs: [],
    attrs,
    backward: () => {
      throw new AutogradError(
        'backward',
        `the graph through '${name}' was already used by a backward pass, which freed the tensors it saved. ` +
          'Fix: pass { retainGraph: true } to the first backward() to run backward through the same graph again, ' +
          'or recompute the forward pass',
      );
    },
  };
}

/**
 * Reverse-mode differentiation from `root`. Visits the graph in reverse topological order,
 * summing the gradients that reach each tensor, and accumulates into `.grad` of every leaf that
 * requires a gradient (so two backward calls add up, as in PyTorch). Each node drops the tensors
 * its operation saved (activations) as soon as its backward has run, unless `retainGraph`.
 */
export function backward(root: Tensor, grad?: Tensor, options: BackwardOptions = {}): void {
  const retain = options.retainGraph === true;
  if (!root.requiresGrad) {
    throw new AutogradError(
      'backward',
      'this tensor does not require a gradient: no input of the computation had requiresGrad set. ' +
        'Fix: create the inputs with {requiresGrad: true} or call .requiresGrad_() on them',
    );
  }
  let seed: Tensor;
  if (grad === undefined) {
    if (root.size !== 1) {
      throw new AutogradError(
        'backward',
        `backward() without a gradient needs a one-element tensor (a loss); got shape [${root.shape.join(', ')}]. ` +
          'Fix: reduce it first (e.g. .sum() or .mean()) or pass the gradient: t.backward(grad)',
      );
    }
    seed = full(root.shape, 1, { dtype: root.dtype });
  } else {
    if (!shapesEqual(grad.shape, root.shape)) {
      throw new ShapeError(
        'backward',
        'the gradient must have the shape of the tensor',
        root.shape,
        grad.shape,
      );
    }
    seed = grad;
  }

  // Topological order by iterative depth-first search.
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.gradFn ? t.gradFn.inputs : [];
    if (i < inputs.length) {
      top[1] = i + 1;
      const child = inputs[i]!;
      if (child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }

  visited.clear();
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  // How many pending gradients (values of `grads`) share each storage buffer: a gradient whose
  // node has run is handed back to the buffer pool once no pending gradient shares its storage.
  // Gradients that leave the engine (leaf .grad values) and the seed are never reused.
  const holders = new Map<ArrayBufferLike, number>();
  const hold = (t: Tensor): void => void holders.set(t.data.buffer, (holders.get(t.data.buffer) ?? 0) + 1);
  const drop = (t: Tensor): void => {
    const left = (holders.get(t.data.buffer) ?? 1) - 1;
    if (left > 0) {
      holders.set(t.data.buffer, left);
      return;
    }
    holders.delete(t.data.buffer);
    releaseGradientBuffer(t.data);
  };
  escapeGradientBuffer(seed.data);
  hold(seed);
  withGradientPool(() =>
    noGrad(() => {
      while (order.length > 0) {
        // The engine holds each tensor only until its node has run.
        const t = order.pop()!;
        const fn = t.gradFn;
        // Let go of what the operation saved for its backward: once this node has run, the
        // activations it kept are garbage unless something else holds them.
        if (fn && !retain) t.gradFn = consumed(fn);
        const g = grads.get(t);
        if (!g) continue;
        grads.delete(t);
        if (!fn) {
          const total = t.grad ? add(t.grad, g) : g;
          escapeGradientBuffer(total.data);
          t.grad = total;
          drop(g);
          continue;
        }
        const inGrads = fn.backward(g);
        const inputs = fn.inputs;
        for (let j = 0; j < inputs.length; j++) {
          const inp = inputs[j]!;
          const ig = inGrads[j];
          if (!ig || !inp.requiresGrad) continue;
          if (!shapesEqual(ig.shape, inp.shape)) {
            throw new AutogradError(
              'backward',
              `internal error: ${fn.name} returned a gradient of shape [${ig.shape.join(', ')}] ` +
                `for an input of shape [${inp.shape.join(', ')}]`,
            );
          }
          const prev = grads.get(inp);
          const next = prev ? add(prev, ig) : ig;
          hold(next);
          grads.set(inp, next);
          if (prev) {
            drop(prev);
            // ig was never pending: count it once so that, unshared, it goes back to the pool.
            hold(ig);
            drop(ig);
          }
        }
        drop(g);
      }
    }),
  );
}

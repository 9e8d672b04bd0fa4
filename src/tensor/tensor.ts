import type { GradFn } from '../autograd/grad-fn.js';
import { backward as runBackward, type BackwardOptions } from '../autograd/backward.js';
import { ShapeError, ValueError } from '../errors.js';
import * as ew from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import * as red from '../ops/reduce.js';
import * as sh from '../ops/shape-ops.js';
import { logSoftmax, softmax } from '../ops/softmax.js';
import { allocate, dtypeOf, type DType, type FloatArray } from './dtype.js';
import { checkShape, sizeOf } from './shape.js';

/** A nested array of numbers, as accepted by `st.tensor()` and returned by `toArray()`. */
export type NestedArray = number | NestedArray[];

/**
 * The one tensor type: a contiguous row-major typed array plus a shape. Images are NCHW.
 * Memory is garbage-collected; there is nothing to dispose.
 *
 * Tensors produced by operations on tensors that require gradients remember how they were made
 * (`gradFn`), so `loss.backward()` can fill `.grad` of every leaf that requires one.
 */
export class Tensor {
  /** The elements in row-major order. Shared with tensors made by `reshape`/`view`. */
  readonly data: FloatArray;
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
  /** Whether gradients flow to (and, for leaves, accumulate in) this tensor. */
  requiresGrad = false;
  /** Accumulated gradient (leaves only), filled by `backward()`. */
  grad: Tensor | null = null;
  /** The operation that produced this tensor, or null for a leaf. */
  gradFn: GradFn | null = null;
  #version = 0;

  /** Wrap an existing typed array; `data.length` must equal the product of `shape`. */
  constructor(data: FloatArray, shape: readonly number[]) {
    checkShape('Tensor', shape);
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError(
        'Tensor',
        `data of ${data.length} elements does not fill the shape`,
        `${sizeOf(shape)} elements for [${shape.join(', ')}]`,
        `${data.length} elements`,
      );
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  /**
   * How many times this tensor's values were changed in place through Stride: every optimizer
   * step that updates it, `Module.loadStateDict`, `fuseForInference` and the `nn.init` functions
   * bump it. Caches of values derived from `data` (prepacked convolution weights) compare it.
   * Writing `data` directly does not; call {@link markChanged} afterwards.
   */
  get version(): number {
    return this.#version;
  }

  /** Record that `data` was changed in place (bumps {@link version}); returns this tensor. */
  markChanged(): this {
    this.#version++;
    return this;
  }

  /** Element type. */
  get dtype(): DType {
    return dtypeOf(this.data);
  }
  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }
  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }
  /** True for tensors not produced by a recorded operation. */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** Set `requiresGrad` in place (leaves only) and return this tensor. */
  requiresGrad_(flag = true): this {
    if (!this.isLeaf && !flag) {
      throw new ValueError(
        'requiresGrad_',
        'cannot turn off requiresGrad on a non-leaf tensor; use detach()',
      );
    }
    this.requiresGrad = flag;
    return this;
  }

  /**
   * Back-propagate from this tensor. Without an argument the tensor must hold one element
   * (a loss); otherwise pass the gradient of some scalar with respect to this tensor. Each
   * operation's saved tensors are freed as soon as its backward has run; pass
   * `{ retainGraph: true }` to run backward through the same graph again.
   */
  backward(grad?: Tensor, options?: BackwardOptions): void {
    runBackward(this, grad, options);
  }

  /** Clear the accumulated gradient. */
  zeroGrad(): void {
    this.grad = null;
  }

  /** A tensor sharing this one's data but cut off from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A deep copy (recorded: gradients flow through it). */
  clone(): Tensor {
    return ew.clone(this);
  }

  /** Convert to another dtype (recorded). Returns this tensor when the dtype already matches. */
  to(dtype: DType): Tensor {
    return ew.cast(this, dtype);
  }

  /** The single element of a one-element tensor, as a number. */
  item(): number {
    if (this.size !== 1) {
      throw new ShapeError('item', 'item() needs a tensor with exactly one element', '1 element', this.shape);
    }
    return this.data[0]!;
  }

  /** The elements as nested arrays following the shape (a number for a 0-d tensor). */
  toArray(): NestedArray {
    const d = this.data;
    const shape = this.shape;
    if (shape.length === 0) return d[0]!;
    let pos = 0;
    const build = (dim: number): NestedArray[] => {
      const n = shape[dim]!;
      const out = new Array<NestedArray>(n);
      if (dim === shape.length - 1) for (let i = 0; i < n; i++) out[i] = d[pos++]!;
      else for (let i = 0; i < n; i++) out[i] = build(dim + 1);
      return out;
    };
    return build(0);
  }

  /**
   * A readable rendering like PyTorch's: `tensor([[1, 2], [3, 4]])`, with the dtype when it is not
   * float32 and `requiresGrad` when set. Values print with up to 4 decimals; tensors of more than
   * 1000 elements print their shape instead of every value.
   */
  toString(): string {
    const extras = `${this.dtype !== 'float32' ? `, dtype=${this.dtype}` : ''}${this.requiresGrad ? ', requiresGrad=true' : ''}`;
    if (this.size > 1000) return `tensor(<${this.size} values>, shape=[${this.shape.join(', ')}]${extras})`;
    const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : String(Number(v.toFixed(4))));
    const render = (v: NestedArray): string =>
      typeof v === 'number' ? fmt(v) : `[${v.map(render).join(', ')}]`;
    return `tensor(${render(this.toArray())}${extras})`;
  }

  /** How Node's console.log and util.inspect show a tensor (same as toString). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  // ---- shape ops ----
  /** Same data, new shape (one dimension may be -1). */
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return sh.reshape(this, flatArgs(shape));
  }
  /** Alias of reshape (storage is always contiguous). */
  view(...shape: number[] | [readonly number[]]): Tensor {
    return sh.reshape(this, flatArgs(shape));
  }
  /** Merge dimensions startDim..endDim into one. */
  flatten(startDim = 0, endDim = -1): Tensor {
    return sh.flatten(this, startDim, endDim);
  }
  /** Reorder dimensions. */
  permute(...dims: number[] | [readonly number[]]): Tensor {
    return sh.permute(this, flatArgs(dims));
  }
  /** Swap two dimensions. */
  transpose(dim0 = -2, dim1 = -1): Tensor {
    return sh.transpose(this, dim0, dim1);
  }
  /** Drop size-1 dimensions (all, or the one given). */
  squeeze(dim?: number): Tensor {
    return sh.squeeze(this, dim);
  }
  /** Insert a size-1 dimension at `dim`. */
  unsqueeze(dim: number): Tensor {
    return sh.unsqueeze(this, dim);
  }
  /** Broadcast to a larger shape (-1 keeps a dimension). */
  expand(...shape: number[] | [readonly number[]]): Tensor {
    return sh.expand(this, flatArgs(shape));
  }
  /** Elements start, start+step, ... < end along `dim`. */
  slice(dim: number, start: number, end?: number, step = 1): Tensor {
    return sh.slice(this, dim, start, end, step);
  }

  // ---- element-wise ----
  add(o: Tensor | number): Tensor {
    return ew.add(this, o);
  }
  sub(o: Tensor | number): Tensor {
    return ew.sub(this, o);
  }
  mul(o: Tensor | number): Tensor {
    return ew.mul(this, o);
  }
  div(o: Tensor | number): Tensor {
    return ew.div(this, o);
  }
  pow(o: Tensor | number): Tensor {
    return ew.pow(this, o);
  }
  neg(): Tensor {
    return ew.neg(this);
  }
  exp(): Tensor {
    return ew.exp(this);
  }
  log(): Tensor {
    return ew.log(this);
  }
  sqrt(): Tensor {
    return ew.sqrt(this);
  }
  abs(): Tensor {
    return ew.abs(this);
  }
  clamp(min?: number, max?: number): Tensor {
    return ew.clamp(this, min, max);
  }
  maximum(o: Tensor | number): Tensor {
    return ew.maximum(this, o);
  }
  minimum(o: Tensor | number): Tensor {
    return ew.minimum(this, o);
  }
  eq(o: Tensor | number): Tensor {
    return ew.eq(this, o);
  }
  gt(o: Tensor | number): Tensor {
    return ew.gt(this, o);
  }
  ge(o: Tensor | number): Tensor {
    return ew.ge(this, o);
  }
  lt(o: Tensor | number): Tensor {
    return ew.lt(this, o);
  }
  le(o: Tensor | number): Tensor {
    return ew.le(this, o);
  }
  relu(): Tensor {
    return ew.relu(this);
  }
  sigmoid(): Tensor {
    return ew.sigmoid(this);
  }
  tanh(): Tensor {
    return ew.tanh(this);
  }
  /** Softmax along `dim`. */
  softmax(dim: number): Tensor {
    return softmax(this, dim);
  }
  /** Log-softmax along `dim`. */
  logSoftmax(dim: number): Tensor {
    return logSoftmax(this, dim);
  }

  // ---- reductions ----
  sum(axes?: number | number[], keepdim = false): Tensor {
    return red.sum(this, axes, keepdim);
  }
  mean(axes?: number | number[], keepdim = false): Tensor {
    return red.mean(this, axes, keepdim);
  }
  max(axes?: number | number[], keepdim = false): Tensor {
    return red.max(this, axes, keepdim);
  }
  min(axes?: number | number[], keepdim = false): Tensor {
    return red.min(this, axes, keepdim);
  }
  argmax(axis?: number, keepdim = false): Tensor {
    return red.argmax(this, axis, keepdim);
  }
  argmin(axis?: number, keepdim = false): Tensor {
    return red.argmin(this, axis, keepdim);
  }
  var(axes?: number | number[], opts?: red.VarOptions): Tensor {
    return red.variance(this, axes, opts);
  }
  std(axes?: number | number[], opts?: red.VarOptions): Tensor {
    return red.std(this, axes, opts);
  }

  // ---- linear algebra ----
  matmul(o: Tensor): Tensor {
    return matmul(this, o);
  }
}

function flatArgs(args: number[] | [readonly number[]]): readonly number[] {
  return Array.isArray(args[0]) ? (args[0] as readonly number[]) : (args as number[]);
}

/** An uninitialized (zero-filled) tensor of the given shape and dtype. Internal helper for ops. */
export function empty(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return new Tensor(allocate(dtype, sizeOf(shape)), shape);
}

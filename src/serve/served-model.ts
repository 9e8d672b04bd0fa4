import { noGrad } from '../autograd/grad-mode.js';
import { ValueError } from '../errors.js';
import { getDefaultInputShape, setDefaultInputShape } from '../nn/default-input.js';
import { fuseForInference } from '../nn/fuse-for-inference.js';
import { Graph } from '../nn/graph.js';
import type { ModelTask } from '../nn/model-card.js';
import type { Module } from '../nn/module.js';
import { zeros } from '../tensor/creation.js';

/**
 * One model version the inference server holds: the module (in evaluation mode), its per-sample
 * input and output shapes (without the batch dimension), the tensor names the Open Inference
 * Protocol shows, and the class names when the model is a classifier that recorded them.
 */
export interface ServedModel {
  /** The name clients use in `/v2/models/{name}`. */
  readonly name: string;
  /** The version (`'1'` for a single model file; the folder name in a model repository). */
  readonly version: string;
  /** Where it came from, for logs only (never sent to clients). */
  readonly source: string;
  readonly module: Module;
  /** Per-sample input shape, e.g. [3, 224, 224]. */
  readonly inputShape: readonly number[];
  /** Per-sample output shape, e.g. [1000]. */
  readonly outputShape: readonly number[];
  /** The input tensor's name in the protocol. */
  readonly inputName: string;
  /** The output tensor's name in the protocol. */
  readonly outputName: string;
  /** Class names, index = output position: given, from a labels.txt, or the model card's (null when none). */
  readonly classNames: readonly string[] | null;
  /**
   * What the model does (given, or the model card's `task`; null when unknown): it decides which
   * image routes answer (`/classify`, `/segment`, `/embed`).
   */
  readonly task: ModelTask | null;
}

/** The per-sample input shape a model declares: a Graph's single input, or a zoo model's default. */
export function declaredInputShape(model: Module): readonly number[] | null {
  if (model instanceof Graph) {
    const inputs = model.nodes().filter((n) => n.module === null);
    if (inputs.length === 1 && inputs[0]!.shape) return inputs[0]!.shape;
  }
  return getDefaultInputShape(model);
}

/** Options of {@link prepareServedModel}. */
export interface PrepareOptions {
  name: string;
  version: string;
  source: string;
  /** Per-sample input shape for models that do not declare one. */
  inputShape?: readonly number[];
  classNames?: readonly string[] | null;
  /** What the model does, when its model card does not say. */
  task?: ModelTask | null;
}

/**
 * Make a loaded module ready to serve: evaluation mode, batch norm folded into convolutions
 * (`fuseForInference`), and one forward pass on zeros to learn the output shape (which also warms
 * the kernels up). Throws a ValueError naming the model when its input shape is unknown or the
 * forward pass fails.
 */
export function prepareServedModel(module: Module, opts: PrepareOptions): ServedModel {
  if (module instanceof Graph && module.nodes().filter((n) => n.module === null).length > 1) {
    throw new ValueError(
      'serve',
      `model '${opts.name}' has several inputs; the server runs models with one input tensor`,
    );
  }
  const declared = declaredInputShape(module);
  const inputShape = declared ?? opts.inputShape ?? null;
  if (!inputShape) {
    throw new ValueError(
      'serve',
      `model '${opts.name}' does not declare its input shape. Fix: pass inputShape (--input 1x28x28 on the command line)`,
    );
  }
  // Recorded so that st.preprocess knows the input size of a model given one with --input.
  if (!declared) setDefaultInputShape(module, inputShape);
  module.eval();
  fuseForInference(module);
  let out;
  try {
    out = noGrad(() => module.forward(zeros([1, ...inputShape])));
  } catch (e) {
    throw new ValueError(
      'serve',
      `model '${opts.name}' fails on an input of shape [1, ${inputShape.join(', ')}]: ${(e as Error).message}`,
    );
  }
  const outputShape = out.shape.slice(1);
  const classNames = opts.classNames ?? module.classNames ?? null;
  if (classNames && (outputShape.length !== 1 || outputShape[0] !== classNames.length)) {
    throw new ValueError(
      'serve',
      `model '${opts.name}' has ${classNames.length} class names but its output has shape [${outputShape.join(', ')}]`,
    );
  }
  return {
    name: opts.name,
    version: opts.version,
    source: opts.source,
    module,
    inputShape: [...inputShape],
    outputShape,
    inputName: 'input',
    outputName: 'output',
    classNames,
    task: opts.task ?? module.task ?? null,
  };
}

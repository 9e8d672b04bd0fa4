/**
 * The Open Inference Protocol's JSON tensors (KServe v2, Triton HTTP): strict validation of an
 * infer request against a served model, and the response body. Only what the model takes is
 * accepted: one input, datatype FP32, shape `[N, ...per-sample shape]`, and exactly as many finite
 * numbers as the shape holds (flat row-major, or nested arrays of that shape).
 */
import { Tensor } from '../tensor/tensor.js';
import { HttpError } from './http-error.js';
import type { ServedModel } from './served-model.js';

/** A validated infer request. */
export interface InferRequest {
  /** The request's `id`, echoed in the response (the protocol's optional field). */
  id: string | undefined;
  /** The input batch, shape `[N, ...model.inputShape]`. */
  input: Tensor;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const bad = (message: string): HttpError => new HttpError(400, message);

/**
 * The common case, a flat array of exactly the right length, in one indexed pass: true when every
 * element was a finite number (all copied), false at the first that is not, leaving the general
 * walk in {@link fill} to name the problem.
 */
function fillFlat(data: readonly unknown[], out: Float32Array): boolean {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== 'number' || v - v !== 0) return false;
    out[i] = v;
  }
  return true;
}

/** Copy `data` (flat or nested) into `out`, returning the count written, or throw naming the problem. */
function fill(data: unknown, out: Float32Array, at: number): number {
  if (!Array.isArray(data)) throw bad(`input data must be an array of numbers, got ${typeof data}`);
  if (at === 0 && data.length === out.length && fillFlat(data, out)) return out.length;
  let k = at;
  for (const v of data) {
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw bad('input data holds a non-finite number');
      if (k >= out.length) throw bad(`input data holds more than the ${out.length} values its shape says`);
      out[k++] = v;
    } else if (Array.isArray(v)) {
      k = fill(v, out, k);
    } else {
      throw bad(`input data must hold only numbers (FP32), found ${v === null ? 'null' : typeof v}`);
    }
  }
  return k;
}

/**
 * Validate an infer request body for `model` (at most `maxBatch` samples), returning the input
 * tensor, or throw an HttpError 400 that says what was wrong and what the model expects.
 */
export function parseInferRequest(body: unknown, model: ServedModel, maxBatch: number): InferRequest {
  const expectedShape = `[N, ${model.inputShape.join(', ')}] with 1 <= N <= ${maxBatch}`;
  if (!isObject(body)) throw bad('the request body must be a JSON object with an "inputs" array');
  const id = body['id'];
  if (id !== undefined && typeof id !== 'string') throw bad('"id" must be a string');
  const inputs = body['inputs'];
  if (!Array.isArray(inputs) || inputs.length !== 1) {
    throw bad(
      `"inputs" must be an array with exactly one tensor ('${model.inputName}'), got ${Array.isArray(inputs) ? inputs.length : typeof inputs}`,
    );
  }
  const t: unknown = inputs[0];
  if (!isObject(t)) throw bad('each input must be an object with name, shape, datatype and data');
  if (t['name'] !== model.inputName)
    throw bad(
      `unknown input ${JSON.stringify(t['name'])}: model '${model.name}' takes one input named '${model.inputName}'`,
    );
  if (t['datatype'] !== 'FP32')
    throw bad(`input '${model.inputName}' must have datatype FP32, got ${JSON.stringify(t['datatype'])}`);
  const shape = t['shape'];
  if (
    !Array.isArray(shape) ||
    shape.length !== model.inputShape.length + 1 ||
    !shape.every((d) => Number.isInteger(d)) ||
    (shape[0] as number) < 1 ||
    (shape[0] as number) > maxBatch ||
    model.inputShape.some((d, i) => shape[i + 1] !== d)
  ) {
    throw bad(`input '${model.inputName}' must have shape ${expectedShape}, got ${JSON.stringify(shape)}`);
  }
  const dims = shape as number[];
  const size = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  const n = fill(t['data'], data, 0);
  if (n !== size) {
    throw bad(`input '${model.inputName}' has ${n} values but its shape [${dims.join(', ')}] holds ${size}`);
  }
  const outputs = body['outputs'];
  if (outputs !== undefined) {
    if (!Array.isArray(outputs) || !outputs.every((o) => isObject(o) && o['name'] === model.outputName))
      throw bad(`"outputs" may only request '${model.outputName}'`);
  }
  return { id: id as string | undefined, input: new Tensor(data, dims) };
}

/** The protocol's response body for `output` (shape `[N, ...model.outputShape]`). */
export function inferResponse(
  model: ServedModel,
  output: Tensor,
  id: string | undefined,
): Record<string, unknown> {
  return {
    model_name: model.name,
    model_version: model.version,
    ...(id !== undefined ? { id } : {}),
    outputs: [
      { name: model.outputName, datatype: 'FP32', shape: output.shape, data: Array.from(output.data) },
    ],
  };
}

/** The protocol's model metadata. */
export function modelMetadata(model: ServedModel, versions: readonly string[]): Record<string, unknown> {
  return {
    name: model.name,
    versions,
    platform: 'stride',
    inputs: [{ name: model.inputName, datatype: 'FP32', shape: [-1, ...model.inputShape] }],
    outputs: [{ name: model.outputName, datatype: 'FP32', shape: [-1, ...model.outputShape] }],
  };
}

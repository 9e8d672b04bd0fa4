import { statSync } from 'node:fs';
import { getDefaultInputShape } from '../nn/default-input.js';
import { Graph } from '../nn/graph.js';
import type { Module } from '../nn/module.js';
import { zeros } from '../tensor/creation.js';
import { ValueError } from '../errors.js';
import { writeFileAtomic } from './atomic-write-node.js';
import { exportOnnx } from './onnx/export-onnx.js';
import { load, save } from './save-load-node.js';
import { modelOutputFormat } from './model-output-format-node.js';

/** The model file formats Stride reads and writes. */
export type ModelFileFormat = 'stride' | 'safetensors' | 'onnx' | 'tfjs';

/**
 * The format of a model path, from its name (and, for directories, that it is one): `.onnx` is
 * ONNX, a `.json` other than a Stride `config.json` is a TF.js model, `.safetensors` a single-file
 * Stride model, anything else a Stride model directory.
 */
export function modelFileFormat(path: string): ModelFileFormat {
  const lower = path.toLowerCase();
  if (lower.endsWith('.onnx')) return 'onnx';
  if (lower.endsWith('.safetensors')) return 'safetensors';
  if (lower.endsWith('.json')) {
    let dir = false;
    try {
      dir = statSync(path).isDirectory();
    } catch {
      dir = false;
    }
    if (!dir) return 'tfjs';
  }
  return 'stride';
}

/** Options of {@link convert}. */
export interface ConvertOptions {
  /**
   * Per-sample input shape without the batch dimension (e.g. [3, 224, 224]), for ONNX export. By
   * default the shape the model declares (a Graph's inputs, a zoo model's default input).
   */
  inputShape?: readonly number[];
  /** ONNX operator set to write (default 13). */
  opset?: number;
}

/** What {@link convert} did. */
export interface ConvertResult {
  /** The format read. */
  from: ModelFileFormat;
  /** The format written. */
  to: ModelFileFormat;
  /** The model that was converted. */
  model: Module;
}

function exampleShapes(model: Module, opts: ConvertOptions): number[][] {
  if (opts.inputShape) return [[2, ...opts.inputShape]];
  if (model instanceof Graph) {
    const shapes = model
      .nodes()
      .filter((n) => n.module === null)
      .map((n) => n.shape);
    if (shapes.length > 0 && shapes.every((s) => s !== null)) return shapes.map((s) => [2, ...s!]);
  }
  const zoo = getDefaultInputShape(model);
  if (zoo) return [[2, ...zoo]];
  throw new ValueError(
    'convert',
    'the model does not declare its input shape, which ONNX export needs. Fix: pass { inputShape: [C, H, W] } (e.g. [3, 224, 224])',
  );
}

/**
 * Convert a model file between formats, for `stride convert <in> <out>`: reads a Stride model
 * (directory or `.safetensors`), an ONNX file or a TF.js `model.json`, and writes a Stride model
 * directory, a single-file `.safetensors` model or an ONNX file (traced on zeros of the model's input
 * shape; see `exportOnnx`). Writing TF.js is not supported. Writes are atomic.
 */
export function convert(inPath: string, outPath: string, opts: ConvertOptions = {}): ConvertResult {
  const from = modelFileFormat(inPath);
  const to = modelOutputFormat(outPath, 'convert');
  const model = load(inPath);
  if (to === 'onnx') {
    const examples = exampleShapes(model, opts).map((s) => zeros(s));
    writeFileAtomic(outPath, exportOnnx(model, examples, { opset: opts.opset }));
  } else {
    save(model, outPath);
  }
  return { from, to, model };
}

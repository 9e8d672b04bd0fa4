import { existsSync } from 'node:fs';
import * as st from '../../node.js';
import { UsageError } from '../args.js';
import { modelPathOf, zooBuilder } from './run-dir.js';

/**
 * A model named on the command line: a zoo name (`resnet18`), the path of a saved Stride model
 * (a directory or single file written by `st.save`) or a run directory of `stride train`, an
 * ONNX file or a TF.js `model.json`.
 */
export function modelFromArg(arg: string, opts: st.ZooOptions = {}): st.Module {
  if (st.modelNames.includes(arg)) return st.getModel(arg, { init: false, ...opts });
  if (existsSync(arg)) return st.load(modelPathOf(arg), { zoo: zooBuilder });
  throw new UsageError(
    `'${arg}' is neither a zoo model nor an existing model file. Zoo models: ${st.modelNames.join(', ')}`,
  );
}

/** Parse an input shape written `3x224x224` (or `1x28x28`). */
export function parseShape(option: string, text: string): number[] {
  const parts = text.split(/[x,]/i).map((p) => Number(p.trim()));
  if (parts.length === 0 || parts.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new UsageError(
      `--${option} must be positive integers joined by 'x', e.g. 3x224x224; got '${text}'`,
    );
  }
  return parts;
}

/**
 * A model to run on images, in evaluation mode: a run directory of `stride train`, a saved Stride
 * model, an ONNX file, a TF.js `model.json`, or a zoo name (built untrained, with a note saying
 * so on stderr).
 */
export function inferenceModelFromArg(arg: string): st.Module {
  if (st.modelNames.includes(arg)) {
    console.error(`note: the zoo model ${arg} is untrained here, so its answers are random`);
    return st.getModel(arg).eval();
  }
  if (!existsSync(arg)) {
    throw new UsageError(
      `'${arg}' is neither a model file or run directory nor a zoo model ('stride models' lists them)`,
    );
  }
  return st.load(modelPathOf(arg), { zoo: zooBuilder }).eval();
}

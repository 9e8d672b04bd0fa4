import { statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { ValueError } from '../errors.js';

/** The formats Stride writes a model in. */
export type ModelOutputFormat = 'stride' | 'safetensors' | 'onnx';

/** Extensions that name a format Stride writes, and what each writes. */
export const MODEL_OUTPUT_EXTENSIONS: Readonly<Record<string, ModelOutputFormat>> = {
  '.onnx': 'onnx',
  '.safetensors': 'safetensors',
};

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The format an output model path asks for, from its extension: `.onnx` an ONNX file,
 * `.safetensors` a single-file Stride model, a name without an extension (or an existing
 * directory) a Stride model directory. Any other extension names no format Stride writes and is
 * refused with a `ValueError` saying which ones it does (a typo such as `model.onxx`, `model.pt`,
 * or `.json`, since Stride reads TF.js but does not write it), rather than silently becoming a
 * directory.
 */
export function modelOutputFormat(path: string, op = 'modelOutputFormat'): ModelOutputFormat {
  const ext = extname(basename(path.replace(/[\\/]+$/, ''))).toLowerCase();
  if (ext === '') return 'stride';
  const known = MODEL_OUTPUT_EXTENSIONS[ext];
  if (known) return known;
  if (isDirectory(path)) return 'stride';
  const tfjs = ext === '.json' ? ' (Stride reads TF.js model.json files but does not write TF.js)' : '';
  throw new ValueError(
    op,
    `the output '${path}' has the extension '${ext}', which names no model format Stride writes${tfjs}. ` +
      'Fix: end it in .onnx (ONNX) or .safetensors (one-file Stride model), or give a name without an extension for a Stride model directory',
  );
}

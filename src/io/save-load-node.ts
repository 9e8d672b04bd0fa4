import { checkOptionNames } from '../option-names.js';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { writeDirectoryAtomic, writeFileAtomic } from './atomic-write-node.js';
import {
  decodeModel,
  decodeModelFile,
  encodeModel,
  encodeModelFile,
  type LoadedModel,
  type LoadModelOptions,
  type SaveModelOptions,
} from './model-format.js';
import { ModelFileError } from './model-file-error.js';
import { importOnnx } from './onnx/import-onnx.js';
import { readModelFile } from './read-file-node.js';
import { loadTfjs } from './tfjs/load-tfjs-node.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  type DecodedSafetensors,
  type DecodeSafetensorsOptions,
  type EncodeSafetensorsOptions,
} from './safetensors.js';

/** File names inside a Stride model directory. */
export const MODEL_DIR_FILES = {
  config: 'config.json',
  weights: 'model.safetensors',
  optimizer: 'optimizer.safetensors',
} as const;

/** Every option of {@link save} and {@link load} (the compiler keeps these in step with their types). */
const SAVE_OPTIONS: Record<keyof SaveModelOptions, true> = { optimizer: true, metadata: true, zoo: true };
const LOAD_OPTIONS: Record<keyof LoadModelOptions, true> = { strict: true, zoo: true, file: true };

function isSingleFile(path: string): boolean {
  return path.toLowerCase().endsWith('.safetensors');
}

/**
 * Save a model. A path ending in `.safetensors` gets one file: the weights (names = `stateDict()`
 * keys, readable by PyTorch's safetensors) with the architecture in its metadata. Any other path
 * becomes a model directory holding `config.json` (the architecture: a serialized layer tree or a
 * zoo name with options), `model.safetensors` (the weights) and, with `{ optimizer }`,
 * `optimizer.safetensors` (its state, to resume training). Writes are atomic: a crash leaves the
 * previous save or the new one, never a mix.
 */
export function save(model: Module, path: string, opts: SaveModelOptions = {}): void {
  checkOptionNames('save', opts, Object.keys(SAVE_OPTIONS));
  if (isSingleFile(path)) {
    writeFileAtomic(path, encodeModelFile(model, opts));
    return;
  }
  const files = encodeModel(model, opts);
  const out: Record<string, Uint8Array | string> = {
    [MODEL_DIR_FILES.config]: files.config,
    [MODEL_DIR_FILES.weights]: files.weights,
  };
  if (files.optimizer) out[MODEL_DIR_FILES.optimizer] = files.optimizer;
  writeDirectoryAtomic(path, out, (dir) => existsSync(join(dir, MODEL_DIR_FILES.config)));
}

/**
 * Load a model saved by {@link save} (a model directory or a `.safetensors` file with an
 * architecture) to resume training: a {@link LoadedModel} `{ model, config, optimizer? }`, the
 * same shape `decodeModel` and `decodeModelFile` return, with the model's training flags as saved
 * (`st.load` gives the model alone, in evaluation mode). Resume training with
 * `optimizer.loadStateDict(loaded.optimizer.state)` on an optimizer built over
 * `loaded.model.parameters()` the same way as the saved one.
 */
export function loadCheckpoint(path: string, opts: LoadModelOptions = {}): LoadedModel {
  checkOptionNames('load', opts, Object.keys(LOAD_OPTIONS));
  const o = { ...opts, file: opts.file ?? path };
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new ModelFileError('load', path, 'no such file or directory', 'check the path');
  }
  if (!isDir) return decodeModelFile(readModelFile(path), o);
  const configPath = join(path, MODEL_DIR_FILES.config);
  if (!existsSync(configPath)) {
    throw new ModelFileError(
      'load',
      path,
      `the directory has no ${MODEL_DIR_FILES.config}`,
      'point at a directory written by st.save',
    );
  }
  const optimizerPath = join(path, MODEL_DIR_FILES.optimizer);
  return decodeModel(
    {
      config: readModelFile(configPath),
      weights: readModelFile(join(path, MODEL_DIR_FILES.weights)),
      optimizer: existsSync(optimizerPath) ? readModelFile(optimizerPath) : undefined,
    },
    o,
  );
}

/**
 * Load a model for inference, ready for `model.forward(x)` and in evaluation mode: a Stride model
 * saved by {@link save} (rebuilt from its architecture with its weights and frozen parameters), an
 * ONNX file (`.onnx`, through `importOnnx`) or a TF.js `model.json` (layers or graph model, with
 * its shards, through `importTfjs`). Imported models take channels-first images. Every format
 * brings its model card back (`model.preprocessing`, `model.classNames`, `model.task`) when it
 * was saved with one. To resume training, use {@link loadCheckpoint}, which keeps the saved
 * training flags and returns the optimizer state too.
 */
export function load(path: string, opts: LoadModelOptions = {}): Module {
  const lower = path.toLowerCase();
  if (lower.endsWith('.onnx')) return importOnnx(readModelFile(path), { file: path }).eval();
  if (lower.endsWith('.json') && !lower.endsWith('config.json')) return loadTfjs(path).eval();
  return loadCheckpoint(path, opts).model.eval();
}

/** Write tensors (e.g. `model.stateDict()`) to a safetensors file, atomically. */
export function saveSafetensors(
  tensors: Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>,
  path: string,
  opts: EncodeSafetensorsOptions = {},
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, opts));
}

/** Read a safetensors file (validated; see `decodeSafetensors`). Pass `.tensors` to `loadStateDict`. */
export function loadSafetensors(path: string, opts: DecodeSafetensorsOptions = {}): DecodedSafetensors {
  return decodeSafetensors(readModelFile(path, 'loadSafetensors'), { ...opts, file: opts.file ?? path });
}

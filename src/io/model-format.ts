import { ValueError } from '../errors.js';
import { getDefaultInputShape, setDefaultInputShape } from '../nn/default-input.js';
import { checkModelCard, modelCard, setModelCard, type ModelCard } from '../nn/model-card.js';
import type { Module } from '../nn/module.js';
import type { OptimizerStateDict } from '../optim/optimizer.js';
import type { Tensor } from '../tensor/tensor.js';
import './builtin-layers.js';
import './segmentation-layers.js';
import { isJsonObject, type JsonObject } from './json-value.js';
import { layerFromSpec, layerToSpec, type LayerSpec } from './layer-registry.js';
import { ModelFileError } from './model-file-error.js';
import { decodeOptimizerState, encodeOptimizerState, type SavedOptimizerState } from './optimizer-state.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

/** The `format` field of a Stride model config. */
export const MODEL_FORMAT = 'stride.model';
/** The version of the model config this Stride writes and reads. */
export const MODEL_FORMAT_VERSION = 1;
/** The safetensors metadata key that holds the config in a single-file model. */
export const MODEL_METADATA_KEY = 'stride.model';
/** The largest config JSON a loader accepts (64 MiB). */
export const MAX_CONFIG_BYTES = 64 * 1024 * 1024;

/** How a saved model is rebuilt: from its serialized layers, or by a named zoo function and its options. */
export type Architecture =
  | {
      /** A serialized layer tree (Sequential, Graph and registered layers). */
      readonly kind: 'layers';
      /** The root layer. */
      readonly root: LayerSpec;
    }
  | {
      /** A model-zoo function called by name. */
      readonly kind: 'zoo';
      /** The zoo name, e.g. `'resnet18'`. */
      readonly name: string;
      /** The options passed to it (JSON). */
      readonly options: JsonObject;
    };

/** The architecture file of a Stride model (`config.json` in a model directory). */
export interface ModelConfig {
  /** Always {@link MODEL_FORMAT}. */
  readonly format: typeof MODEL_FORMAT;
  /** {@link MODEL_FORMAT_VERSION} when written. */
  readonly formatVersion: number;
  /** How to rebuild the module. */
  readonly architecture: Architecture;
  /** The root module's training flag when saved. */
  readonly training: boolean;
  /** Dotted paths of modules whose training flag differed from the root's (e.g. frozen batch norms). */
  readonly modeExceptions: readonly string[];
  /** Names of parameters that were frozen (requiresGrad false). */
  readonly frozen: readonly string[];
  /** Dotted paths of batch-norm layers whose statistics were frozen (`statisticsFrozen`); absent when none. */
  readonly frozenStatistics?: readonly string[];
  /** Free-form strings saved with the model. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The per-sample input shape the model was built for (zoo models record one), if known. */
  readonly inputShape?: readonly number[];
  /** What the model does (`model.task`), if known. */
  readonly task?: ModelCard['task'];
  /** How images become its input (`model.preprocessing`), if known. */
  readonly preprocessing?: ModelCard['preprocessing'];
  /** Its output class names (`model.classNames`), if known. */
  readonly classNames?: ModelCard['classNames'];
}

/** Builds a zoo model by name, for loading models saved with a zoo architecture. */
export type ZooBuilder = (name: string, options: JsonObject) => Module;

/** Anything with PyTorch-style optimizer state: every Stride optimizer. */
export interface OptimizerLike {
  /** The state; `{ buffers: 'view' }` asks for the live typed-array buffers (no conversion, no copy). */
  stateDict(opts?: { buffers?: 'array' | 'typed' | 'view' }): OptimizerStateDict;
}

/** Options of {@link encodeModel} and `st.save`. */
export interface SaveModelOptions {
  /** Also save this optimizer's state, to resume training exactly. */
  optimizer?: OptimizerLike;
  /** Free-form strings stored with the model (e.g. `{ epoch: '12' }`). */
  metadata?: Readonly<Record<string, string>>;
  /**
   * Record the model as a zoo function call instead of its layer tree (needed for models whose
   * classes have no serializer). Loading calls the zoo builder with the same name and options.
   */
  zoo?: { name: string; options?: JsonObject };
}

/** The files of a saved model. */
export interface ModelFiles {
  /** `config.json`: the {@link ModelConfig}. */
  config: string;
  /** `model.safetensors`: the state dict. */
  weights: Uint8Array;
  /** `optimizer.safetensors`, when an optimizer was given. */
  optimizer?: Uint8Array;
}

/** Options of {@link decodeModel} and `st.load`. */
export interface LoadModelOptions {
  /** Refuse weights with missing or unexpected keys (default true). Shape mismatches are always refused. */
  strict?: boolean;
  /** Builds models saved with a zoo architecture (default: refuse them with a message saying to pass one). */
  zoo?: ZooBuilder;
  /** Name of the file or directory, for messages. */
  file?: string;
}

/** A loaded model with everything saved next to it. */
export interface LoadedModel {
  /** The rebuilt module, weights loaded, training flags and frozen parameters restored. */
  readonly model: Module;
  /** The optimizer state, when one was saved: pass `.state` to `optimizer.loadStateDict`. */
  readonly optimizer?: SavedOptimizerState;
  /** The config the model was rebuilt from. */
  readonly config: ModelConfig;
}

/** The architecture and training flags of `model` as a {@link ModelConfig}. */
export function modelConfig(model: Module, opts: SaveModelOptions = {}): ModelConfig {
  const architecture: Architecture = opts.zoo
    ? { kind: 'zoo', name: opts.zoo.name, options: opts.zoo.options ?? {} }
    : { kind: 'layers', root: layerToSpec(model) };
  const modeExceptions = model
    .namedModules()
    .filter(([, m]) => m.training !== model.training)
    .map(([n]) => n);
  const frozen = model
    .namedParameters()
    .filter(([, p]) => !p.requiresGrad)
    .map(([n]) => n);
  const frozenStatistics = model
    .namedModules()
    .filter(([, m]) => m.statisticsFrozen)
    .map(([n]) => n);
  const inputShape = getDefaultInputShape(model);
  return {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    architecture,
    training: model.training,
    modeExceptions,
    frozen,
    ...(frozenStatistics.length > 0 ? { frozenStatistics } : {}),
    metadata: { ...(opts.metadata ?? {}) },
    ...(inputShape ? { inputShape: [...inputShape] } : {}),
    ...modelCard(model),
  };
}

/**
 * Serialize a model into the three files of a Stride model directory: the architecture JSON, the
 * weights as safetensors (names = `stateDict()` keys, so PyTorch's `load_state_dict` reads them)
 * and, when given, the optimizer state. Pure: `st.save` writes these files atomically.
 */
export function encodeModel(model: Module, opts: SaveModelOptions = {}): ModelFiles {
  const config = modelConfig(model, opts);
  const weights = encodeSafetensors(model.stateDict(), {
    metadata: { format: 'pt', [MODEL_FORMAT]: String(MODEL_FORMAT_VERSION) },
  });
  const files: ModelFiles = { config: JSON.stringify(config, null, 2), weights };
  if (opts.optimizer) {
    files.optimizer = encodeOptimizerState(
      opts.optimizer.constructor.name,
      opts.optimizer.stateDict({ buffers: 'view' }),
    );
  }
  return files;
}

/**
 * Serialize a model as one safetensors file whose metadata holds the architecture: portable
 * weights that Stride can also rebuild into a model. Optimizer state needs the directory form.
 */
export function encodeModelFile(model: Module, opts: Omit<SaveModelOptions, 'optimizer'> = {}): Uint8Array {
  if ((opts as SaveModelOptions).optimizer) {
    throw new ValueError(
      'save',
      'a single .safetensors file holds the model only. Fix: save to a directory path (no .safetensors extension) to keep the optimizer state',
    );
  }
  const config = modelConfig(model, opts);
  return encodeSafetensors(model.stateDict(), {
    metadata: { format: 'pt', [MODEL_METADATA_KEY]: JSON.stringify(config) },
  });
}

function refuse(file: string | undefined, problem: string, fix?: string): never {
  throw new ModelFileError(
    'load',
    file,
    problem,
    fix ?? 'the model config is corrupt or was written by an incompatible version; save the model again',
  );
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

/** Parse and validate a model config (JSON text or bytes, untrusted). */
export function parseModelConfig(text: string | Uint8Array, file?: string): ModelConfig {
  if (text.length > MAX_CONFIG_BYTES)
    refuse(file, `the config is ${text.length} bytes, more than the ${MAX_CONFIG_BYTES}-byte limit`);
  let raw: unknown;
  try {
    const s = typeof text === 'string' ? text : new TextDecoder('utf-8', { fatal: true }).decode(text);
    raw = JSON.parse(s);
  } catch (err) {
    refuse(file, `the config is not valid JSON (${(err as Error).message})`);
  }
  if (!isJsonObject(raw) || raw.format !== MODEL_FORMAT)
    refuse(file, `the config is not a Stride model config (format '${MODEL_FORMAT}')`);
  if (raw.formatVersion !== MODEL_FORMAT_VERSION) {
    refuse(
      file,
      `model format version ${JSON.stringify(raw.formatVersion)} is not supported (this Stride reads version ${MODEL_FORMAT_VERSION})`,
      'load it with the Stride version that saved it, or upgrade Stride',
    );
  }
  const a = raw.architecture;
  let architecture: Architecture;
  if (isJsonObject(a) && a.kind === 'layers' && isJsonObject(a.root)) {
    architecture = { kind: 'layers', root: a.root as unknown as LayerSpec };
  } else if (isJsonObject(a) && a.kind === 'zoo' && typeof a.name === 'string' && isJsonObject(a.options)) {
    architecture = { kind: 'zoo', name: a.name, options: a.options };
  } else {
    refuse(file, "the architecture must be {kind: 'layers', root} or {kind: 'zoo', name, options}");
  }
  if (typeof raw.training !== 'boolean') refuse(file, "'training' must be true or false");
  if (!isStringList(raw.modeExceptions)) refuse(file, "'modeExceptions' must be a list of module paths");
  if (!isStringList(raw.frozen)) refuse(file, "'frozen' must be a list of parameter names");
  if (raw.frozenStatistics !== undefined && !isStringList(raw.frozenStatistics))
    refuse(file, "'frozenStatistics' must be a list of module paths");
  const md = raw.metadata ?? {};
  if (!isJsonObject(md) || !Object.values(md).every((v) => typeof v === 'string'))
    refuse(file, "'metadata' must be an object of strings");
  const shape = raw.inputShape;
  if (
    shape !== undefined &&
    !(Array.isArray(shape) && shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d > 0))
  ) {
    refuse(file, "'inputShape' must be a list of positive integers");
  }
  const card = readCard(raw, file);
  return {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    architecture,
    training: raw.training,
    modeExceptions: raw.modeExceptions,
    frozen: raw.frozen,
    ...(raw.frozenStatistics !== undefined ? { frozenStatistics: raw.frozenStatistics } : {}),
    metadata: md as Record<string, string>,
    ...(shape ? { inputShape: shape as number[] } : {}),
    ...card,
  };
}

/** The model-card fields of a raw config, validated (absent fields stay absent). */
function readCard(raw: JsonObject, file: string | undefined): ModelCard {
  const fields: Record<string, unknown> = {};
  for (const k of ['task', 'preprocessing', 'classNames'] as const)
    if (raw[k] !== undefined) fields[k] = raw[k];
  try {
    return checkModelCard('load', fields);
  } catch (err) {
    return refuse(
      file,
      (err as Error).message.replace(/^load: /, ''),
      'fix or remove that field in the config',
    );
  }
}

/** Build the module a config describes (weights freshly initialized). */
function buildModule(config: ModelConfig, stateElements: number, opts: LoadModelOptions): Module {
  const arch = config.architecture;
  if (arch.kind === 'layers')
    return layerFromSpec(arch.root, { file: opts.file, maxStateElements: stateElements });
  if (!opts.zoo) {
    refuse(
      opts.file,
      `the model was saved as the zoo model '${arch.name}', and no zoo builder was given`,
      'pass { zoo: (name, options) => ... } to load, e.g. one that calls the model-zoo function of that name',
    );
  }
  return opts.zoo(arch.name, arch.options);
}

/** Rebuild the module from a validated config and weights, restoring modes and frozen parameters. */
export function assembleModel(
  config: ModelConfig,
  weights: Map<string, Tensor>,
  opts: LoadModelOptions = {},
): Module {
  let elements = 0;
  for (const t of weights.values()) elements += t.size;
  const model = buildModule(config, elements, opts);
  model.loadStateDict(weights, { strict: opts.strict ?? true });
  model.train(config.training);
  const modules = new Map(model.namedModules());
  for (const path of config.modeExceptions) {
    const m =
      modules.get(path) ??
      refuse(opts.file, `'modeExceptions' names '${path}', which is not a module of the model`);
    m.training = !config.training;
  }
  const params = new Map(model.namedParameters());
  for (const name of config.frozen) {
    const p =
      params.get(name) ??
      refuse(opts.file, `'frozen' names '${name}', which is not a parameter of the model`);
    p.requiresGrad = false;
  }
  for (const path of config.frozenStatistics ?? []) {
    const m =
      modules.get(path) ??
      refuse(opts.file, `'frozenStatistics' names '${path}', which is not a module of the model`);
    m.statisticsFrozen = true;
  }
  if (config.inputShape) setDefaultInputShape(model, config.inputShape);
  setModelCard(model, {
    task: config.task,
    preprocessing: config.preprocessing,
    classNames: config.classNames,
  });
  return model;
}

/**
 * Rebuild a model from the files of a Stride model directory (see {@link encodeModel}). Every file
 * is validated before anything is built; an architecture claiming more parameters than the
 * weights hold is refused before allocation.
 */
export function decodeModel(
  files: { config: string | Uint8Array; weights: Uint8Array; optimizer?: Uint8Array },
  opts: LoadModelOptions = {},
): LoadedModel {
  const config = parseModelConfig(files.config, opts.file);
  const { tensors } = decodeSafetensors(files.weights, { file: opts.file });
  const model = assembleModel(config, tensors, opts);
  const optimizer = files.optimizer ? decodeOptimizerState(files.optimizer, opts.file) : undefined;
  return optimizer ? { model, config, optimizer } : { model, config };
}

/** Rebuild a model from a single safetensors file written by {@link encodeModelFile}. */
export function decodeModelFile(bytes: Uint8Array, opts: LoadModelOptions = {}): LoadedModel {
  const { tensors, metadata } = decodeSafetensors(bytes, { file: opts.file });
  const text = metadata[MODEL_METADATA_KEY];
  if (text === undefined) {
    refuse(
      opts.file,
      'this safetensors file holds weights only (no Stride architecture in its metadata)',
      'build the model in code and load the weights: model.loadStateDict(st.decodeSafetensors(bytes).tensors)',
    );
  }
  const config = parseModelConfig(text, opts.file);
  return { model: assembleModel(config, tensors, opts), config };
}

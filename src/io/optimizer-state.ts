import type { OptimizerStateDict, SavedParamGroup, SavedParamState } from '../optim/optimizer.js';
import { Tensor } from '../tensor/tensor.js';
import { isJsonObject } from './json-value.js';
import { ModelFileError } from './model-file-error.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

/** The metadata key of an optimizer-state safetensors file. */
export const OPTIMIZER_METADATA_KEY = 'stride.optimizer';
const FORMAT = 'stride.optimizer';
const FORMAT_VERSION = 1;

/** An optimizer's saved state with the class it came from (buffers as typed arrays). */
export interface SavedOptimizerState {
  /** The optimizer's class name (`'Adam'`); resuming checks it against the new optimizer. */
  readonly type: string;
  /** The state, ready for `optimizer.loadStateDict`. */
  readonly state: OptimizerStateDict;
}

function allFloat32(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Math.fround(v) !== v && !Number.isNaN(v)) return false;
  }
  return true;
}

/**
 * Encode an optimizer's `stateDict()` as a safetensors file: each per-parameter buffer becomes a
 * tensor `state.<param index>.<name>` (float32 when that is lossless, float64 otherwise); step
 * counts and the parameter groups' options go to the header metadata as JSON.
 */
export function encodeOptimizerState(type: string, sd: OptimizerStateDict): Uint8Array {
  const tensors: [string, Tensor][] = [];
  const scalars: Record<string, Record<string, number>> = {};
  for (const [index, st] of Object.entries(sd.state)) {
    for (const [key, value] of Object.entries(st)) {
      if (typeof value === 'number') {
        (scalars[index] ??= {})[key] = value;
      } else {
        const data =
          value instanceof Float32Array
            ? value
            : allFloat32(value)
              ? Float32Array.from(value)
              : Float64Array.from(value);
        tensors.push([`state.${index}.${key}`, new Tensor(data, [data.length])]);
      }
    }
  }
  const header = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    type,
    paramGroups: sd.paramGroups,
    scalars,
  };
  return encodeSafetensors(tensors, { metadata: { [OPTIMIZER_METADATA_KEY]: JSON.stringify(header) } });
}

function refuse(file: string | undefined, problem: string): never {
  throw new ModelFileError(
    'loadOptimizerState',
    file,
    problem,
    'the optimizer file is corrupt or was not written by st.save; save the checkpoint again',
  );
}

/** Decode a file written by {@link encodeOptimizerState} (validated; see `decodeSafetensors`). */
export function decodeOptimizerState(bytes: Uint8Array, file?: string): SavedOptimizerState {
  const { tensors, metadata } = decodeSafetensors(bytes, { file });
  const raw = metadata[OPTIMIZER_METADATA_KEY];
  if (raw === undefined) refuse(file, `the header has no '${OPTIMIZER_METADATA_KEY}' metadata`);
  let header: unknown;
  try {
    header = JSON.parse(raw);
  } catch {
    refuse(file, 'the optimizer metadata is not valid JSON');
  }
  if (!isJsonObject(header) || header.format !== FORMAT)
    refuse(file, 'the optimizer metadata is not Stride optimizer state');
  if (header.formatVersion !== FORMAT_VERSION) {
    refuse(
      file,
      `optimizer format version ${JSON.stringify(header.formatVersion)} is not supported (this Stride reads ${FORMAT_VERSION})`,
    );
  }
  if (typeof header.type !== 'string') refuse(file, 'the optimizer type is missing');
  if (
    !Array.isArray(header.paramGroups) ||
    !header.paramGroups.every((g) => isJsonObject(g) && Array.isArray(g.params))
  ) {
    refuse(file, 'paramGroups must be a list of groups with params');
  }
  if (!isJsonObject(header.scalars)) refuse(file, 'scalars must be an object');
  const state: Record<string, SavedParamState> = {};
  for (const [index, values] of Object.entries(header.scalars)) {
    if (!isJsonObject(values)) refuse(file, `scalars of parameter ${index} must be an object`);
    const entry: SavedParamState = (state[index] ??= {});
    for (const [k, v] of Object.entries(values)) {
      if (typeof v !== 'number') refuse(file, `scalar '${k}' of parameter ${index} is not a number`);
      entry[k] = v;
    }
  }
  for (const [name, t] of tensors) {
    const m = /^state\.(\d+)\.([^.]+)$/.exec(name);
    if (!m || t.ndim !== 1) refuse(file, `unexpected tensor '${name}' (expected state.<index>.<name>, 1-D)`);
    (state[m[1]!] ??= {})[m[2]!] = t.data;
  }
  return {
    type: header.type,
    state: { state, paramGroups: header.paramGroups as unknown as SavedParamGroup[] },
  };
}

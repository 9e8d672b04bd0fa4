import { ValueError } from '../../errors.js';
import { Tensor } from '../../tensor/tensor.js';
import { isJsonObject } from '../json-value.js';
import { ModelFileError } from '../model-file-error.js';
import { halfToFloat } from '../half-float.js';

/** One entry of a TF.js weights manifest. */
export interface TfjsWeightSpec {
  /** The weight's name (`Conv1/kernel`). */
  name: string;
  /** Its shape (TensorFlow layout, e.g. [kh, kw, in, out] for a convolution kernel). */
  shape: number[];
  /** Its dtype after decoding. */
  dtype: 'float32' | 'int32' | 'bool';
  /** Storage quantization: values are stored as uint8/uint16 (value = q·scale + min) or float16. */
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
}

/** A group of a weights manifest: the shard files holding the bytes of its weights. */
export interface TfjsWeightGroup {
  /** Shard file names, relative to the model JSON. */
  paths: string[];
  /** The weights, in byte order. */
  weights: TfjsWeightSpec[];
}

function refuse(file: string | undefined, problem: string): never {
  throw new ModelFileError(
    'importTfjs',
    file,
    problem,
    'the TF.js model or its weight shards are corrupt or do not belong together',
  );
}

/** Validate a parsed `weightsManifest` (untrusted JSON). */
export function parseWeightsManifest(raw: unknown, file?: string): TfjsWeightGroup[] {
  if (!Array.isArray(raw)) refuse(file, 'weightsManifest must be a list of groups');
  return raw.map((g, gi) => {
    if (!isJsonObject(g) || !Array.isArray(g.paths) || !Array.isArray(g.weights))
      refuse(file, `weight group ${gi} needs paths and weights`);
    if (!g.paths.every((p) => typeof p === 'string'))
      refuse(file, `weight group ${gi}: paths must be strings`);
    const weights = g.weights.map((w, wi): TfjsWeightSpec => {
      if (!isJsonObject(w) || typeof w.name !== 'string')
        refuse(file, `weight ${wi} of group ${gi} has no name`);
      const shape = w.shape;
      if (
        !Array.isArray(shape) ||
        !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)
      ) {
        refuse(file, `weight '${w.name}' has an invalid shape`);
      }
      const dtype = w.dtype ?? 'float32';
      if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool')
        refuse(file, `weight '${w.name}' has unsupported dtype ${JSON.stringify(dtype)}`);
      const spec: TfjsWeightSpec = { name: w.name, shape: shape as number[], dtype };
      const q = w.quantization;
      if (q !== undefined && q !== null) {
        if (!isJsonObject(q) || (q.dtype !== 'uint8' && q.dtype !== 'uint16' && q.dtype !== 'float16')) {
          refuse(file, `weight '${w.name}' has unsupported quantization`);
        }
        if (q.dtype !== 'float16' && (typeof q.scale !== 'number' || typeof q.min !== 'number')) {
          refuse(file, `weight '${w.name}' needs a quantization scale and min`);
        }
        spec.quantization = {
          dtype: q.dtype,
          scale: q.scale as number | undefined,
          min: q.min as number | undefined,
        };
      }
      return spec;
    });
    return { paths: g.paths as string[], weights };
  });
}

/**
 * Decode TF.js weights: `data` is the bytes of every shard of every group, concatenated in manifest
 * order. Quantized weights are dequantized exactly as TF.js does (q·scale + min, or float16). The
 * byte count must match the manifest. Returns float32 tensors in TensorFlow layout, by name.
 */
export function decodeTfjsWeights(
  groups: readonly TfjsWeightGroup[],
  data: Uint8Array,
  file?: string,
): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  for (const g of groups) {
    for (const w of g.weights) {
      let count = w.shape.includes(0) ? 0 : 1;
      for (const d of count === 0 ? [] : w.shape) {
        count *= d;
        if (count > data.length)
          refuse(file, `weight '${w.name}' of shape [${w.shape.join(', ')}] is larger than the weight data`);
      }
      const q = w.quantization;
      const size = q ? (q.dtype === 'uint8' ? 1 : 2) : 4;
      if (pos + count * size > data.length) {
        refuse(
          file,
          `the weight data ends inside '${w.name}' (needs ${pos + count * size} bytes, has ${data.length})`,
        );
      }
      const values = new Float32Array(count);
      if (!q) {
        for (let i = 0; i < count; i++) {
          values[i] =
            w.dtype === 'float32' ? view.getFloat32(pos + 4 * i, true) : view.getInt32(pos + 4 * i, true);
        }
      } else if (q.dtype === 'float16') {
        for (let i = 0; i < count; i++) values[i] = halfToFloat(view.getUint16(pos + 2 * i, true));
      } else {
        const scale = q.scale!;
        const min = q.min!;
        for (let i = 0; i < count; i++) {
          const v = q.dtype === 'uint8' ? view.getUint8(pos + i) : view.getUint16(pos + 2 * i, true);
          values[i] = v * scale + min;
        }
      }
      pos += count * size;
      out.set(w.name, new Tensor(values, w.shape));
    }
  }
  if (pos !== data.length)
    refuse(file, `the manifest describes ${pos} bytes of weights but the shards hold ${data.length}`);
  return out;
}

/** Look up a weight by exact name, or by a unique name ending in `/${suffix}` (models prefix their layers). */
export function findWeight(weights: ReadonlyMap<string, Tensor>, name: string): Tensor | undefined {
  const exact = weights.get(name) ?? weights.get(`${name}:0`);
  if (exact) return exact;
  const hits = [...weights.keys()].filter((k) => k.endsWith(`/${name}`) || k.endsWith(`/${name}:0`));
  if (hits.length > 1)
    throw new ValueError('importTfjs', `several weights end in '${name}': ${hits.slice(0, 4).join(', ')}`);
  return hits.length === 1 ? weights.get(hits[0]!) : undefined;
}

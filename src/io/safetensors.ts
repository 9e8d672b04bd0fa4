import { ValueError } from '../errors.js';
import type { DType, FloatArray } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { ModelFileError } from './model-file-error.js';
import { bf16ToFloat, halfToFloat } from './half-float.js';

/**
 * Element types of the safetensors format. Stride writes `F32` and `F64` (its tensor dtypes) and
 * reads all of them, converting the others to float32 (integers beyond 2^24 lose precision).
 */
export type SafetensorsDType =
  'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

const ITEM_SIZE: Readonly<Record<SafetensorsDType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

/** The largest header the reader accepts by default: 100 MB, the limit of the reference implementation. */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** One tensor's entry in a safetensors header: where its bytes are and how to read them. */
export interface SafetensorsTensorInfo {
  /** The tensor's name (a state-dict key such as `features.0.weight`). */
  readonly name: string;
  /** Element type as stored. */
  readonly dtype: SafetensorsDType;
  /** Dimensions. */
  readonly shape: readonly number[];
  /** Byte range [begin, end) within the data section (after the header). */
  readonly dataOffsets: readonly [number, number];
}

/** A validated safetensors header: the tensors in file order and the free-form metadata. */
export interface SafetensorsHeader {
  /** Every tensor, in the order the header lists them. */
  readonly tensors: readonly SafetensorsTensorInfo[];
  /** The `__metadata__` strings (empty when absent). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Byte position of the data section within the file (8 + header length). */
  readonly dataStart: number;
}

/** Options of {@link decodeSafetensors}. */
export interface DecodeSafetensorsOptions {
  /** Name of the file the bytes came from, for error messages. */
  file?: string;
  /** Refuse headers longer than this many bytes (default {@link SAFETENSORS_MAX_HEADER_BYTES}). */
  maxHeaderBytes?: number;
  /**
   * The dtype of the returned tensors. Default: float64 for `F64` tensors and float32 for the rest.
   */
  dtype?: DType;
  /**
   * Always copy the values into new arrays (default false: float32/float64 tensors whose bytes are
   * suitably aligned are views into `bytes`, so the file's memory is not duplicated).
   */
  copy?: boolean;
}

/** The tensors and metadata of a safetensors file. */
export interface DecodedSafetensors {
  /** Tensors by name, in file order (pass to `module.loadStateDict`). */
  readonly tensors: Map<string, Tensor>;
  /** The `__metadata__` strings (empty when absent). */
  readonly metadata: Record<string, string>;
  /** The stored dtype of each tensor (tensors come back as float32/float64 whatever it was). */
  readonly dtypes: Map<string, SafetensorsDType>;
}

/** Options of {@link encodeSafetensors}. */
export interface EncodeSafetensorsOptions {
  /** Free-form string metadata stored in the header's `__metadata__`. */
  metadata?: Readonly<Record<string, string>>;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const METADATA_KEY = '__metadata__';

function fail(file: string | undefined, problem: string, fix?: string): never {
  throw new ModelFileError(
    'decodeSafetensors',
    file,
    problem,
    fix ?? 'the file is truncated or corrupt; write it again (st.save or saveSafetensors) or re-download it',
  );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNonNegativeInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Read and validate the header of a safetensors file without touching the tensor bytes: the
 * header length is bounded, the JSON must parse, every dtype must be known, every shape must
 * match its byte range, and the byte ranges must tile the data section exactly (in range,
 * contiguous, non-overlapping). A file failing any check is refused with a {@link ModelFileError}.
 */
export function readSafetensorsHeader(
  bytes: Uint8Array,
  opts: DecodeSafetensorsOptions = {},
): SafetensorsHeader {
  const file = opts.file;
  const maxHeader = opts.maxHeaderBytes ?? SAFETENSORS_MAX_HEADER_BYTES;
  if (!(bytes instanceof Uint8Array)) {
    throw new ValueError(
      'decodeSafetensors',
      `expected the file's bytes as a Uint8Array, got ${typeof bytes}`,
    );
  }
  if (bytes.length < 8) {
    fail(
      file,
      `${bytes.length} bytes is too short for a safetensors file (it starts with an 8-byte header length)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(maxHeader)) {
    fail(
      file,
      `the header claims ${headerLen} bytes, more than the ${maxHeader}-byte limit`,
      'this is not a safetensors file, or it is corrupt; a genuine header this large needs opts.maxHeaderBytes',
    );
  }
  const n = Number(headerLen);
  if (n > bytes.length - 8) {
    fail(file, `the header claims ${n} bytes but only ${bytes.length - 8} follow the length field`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail(file, 'the header is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    fail(file, `the header is not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(parsed)) fail(file, 'the header is not a JSON object');

  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const tensors: SafetensorsTensorInfo[] = [];
  for (const [name, entry] of Object.entries(parsed)) {
    if (name === METADATA_KEY) {
      if (!isPlainObject(entry)) fail(file, '__metadata__ must be an object of strings');
      const md: Record<string, string> = Object.create(null) as Record<string, string>;
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') fail(file, `__metadata__ value '${k}' is not a string`);
        md[k] = v;
      }
      metadata = md;
      continue;
    }
    if (!isPlainObject(entry)) fail(file, `the entry of tensor '${name}' is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (typeof dtype !== 'string' || !Object.hasOwn(ITEM_SIZE, dtype)) {
      fail(
        file,
        `tensor '${name}' has unknown dtype ${JSON.stringify(dtype)}; known: ${Object.keys(ITEM_SIZE).join(', ')}`,
      );
    }
    const itemSize = ITEM_SIZE[dtype as SafetensorsDType];
    if (!Array.isArray(shape) || !shape.every(isNonNegativeInt)) {
      fail(
        file,
        `tensor '${name}' has shape ${JSON.stringify(shape)}; expected a list of non-negative integers`,
      );
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInt)) {
      fail(file, `tensor '${name}' has data_offsets ${JSON.stringify(offsets)}; expected [begin, end]`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataLen) {
      fail(file, `tensor '${name}' has bytes [${begin}, ${end}) outside the ${dataLen}-byte data section`);
    }
    // The element count, refused as soon as it exceeds what the byte range can hold (no overflow).
    let count = (shape as number[]).includes(0) ? 0 : 1;
    for (const d of count === 0 ? [] : (shape as number[])) {
      count *= d;
      if (count * itemSize > dataLen) {
        fail(
          file,
          `tensor '${name}' of shape [${(shape as number[]).join(', ')}] needs more bytes than the file holds`,
        );
      }
    }
    if (count * itemSize !== end - begin) {
      fail(
        file,
        `tensor '${name}' of shape [${(shape as number[]).join(', ')}] and dtype ${dtype} needs ${count * itemSize} bytes, ` +
          `its data_offsets span ${end - begin}`,
      );
    }
    tensors.push({
      name,
      dtype: dtype as SafetensorsDType,
      shape: shape as number[],
      dataOffsets: [begin, end],
    });
  }
  const sorted = [...tensors].sort(
    (a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1],
  );
  let pos = 0;
  for (const t of sorted) {
    if (t.dataOffsets[0] !== pos) {
      fail(
        file,
        t.dataOffsets[0] < pos
          ? `tensor '${t.name}' overlaps the bytes of another tensor (starts at ${t.dataOffsets[0]}, before ${pos})`
          : `the bytes [${pos}, ${t.dataOffsets[0]}) belong to no tensor`,
      );
    }
    pos = t.dataOffsets[1];
  }
  if (pos !== dataLen) {
    fail(file, `the tensors cover ${pos} bytes of data but the file holds ${dataLen}`);
  }
  return { tensors, metadata, dataStart };
}

function readValues(
  bytes: Uint8Array,
  start: number,
  info: SafetensorsTensorInfo,
  target: DType,
  copy: boolean,
): FloatArray {
  const count = (info.dataOffsets[1] - info.dataOffsets[0]) / ITEM_SIZE[info.dtype];
  const abs = bytes.byteOffset + start;
  const native =
    (info.dtype === 'F32' && target === 'float32') || (info.dtype === 'F64' && target === 'float64');
  if (native && HOST_LITTLE_ENDIAN && abs % ITEM_SIZE[info.dtype] === 0) {
    const view =
      info.dtype === 'F32'
        ? new Float32Array(bytes.buffer, abs, count)
        : new Float64Array(bytes.buffer, abs, count);
    return copy ? view.slice() : view;
  }
  const out = target === 'float64' ? new Float64Array(count) : new Float32Array(count);
  const dv = new DataView(bytes.buffer, abs, info.dataOffsets[1] - info.dataOffsets[0]);
  const read: (i: number) => number = {
    F64: (i: number) => dv.getFloat64(i * 8, true),
    F32: (i: number) => dv.getFloat32(i * 4, true),
    F16: (i: number) => halfToFloat(dv.getUint16(i * 2, true)),
    BF16: (i: number) => bf16ToFloat(dv.getUint16(i * 2, true)),
    I64: (i: number) => Number(dv.getBigInt64(i * 8, true)),
    I32: (i: number) => dv.getInt32(i * 4, true),
    I16: (i: number) => dv.getInt16(i * 2, true),
    I8: (i: number) => dv.getInt8(i),
    U64: (i: number) => Number(dv.getBigUint64(i * 8, true)),
    U32: (i: number) => dv.getUint32(i * 4, true),
    U16: (i: number) => dv.getUint16(i * 2, true),
    U8: (i: number) => dv.getUint8(i),
    BOOL: (i: number) => (dv.getUint8(i) !== 0 ? 1 : 0),
  }[info.dtype];
  for (let i = 0; i < count; i++) out[i] = read(i);
  return out;
}

/**
 * Decode a safetensors file held in memory. The header is validated first
 * ({@link readSafetensorsHeader}); memory allocated is bounded by the file's own size. Float32
 * and float64 tensors are views into `bytes` when aligned (see `opts.copy`); other dtypes are
 * converted to float32 (or `opts.dtype`).
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  opts: DecodeSafetensorsOptions = {},
): DecodedSafetensors {
  const header = readSafetensorsHeader(bytes, opts);
  const tensors = new Map<string, Tensor>();
  const dtypes = new Map<string, SafetensorsDType>();
  for (const info of header.tensors) {
    const target: DType = opts.dtype ?? (info.dtype === 'F64' ? 'float64' : 'float32');
    const data = readValues(bytes, header.dataStart + info.dataOffsets[0], info, target, opts.copy ?? false);
    tensors.set(info.name, new Tensor(data, info.shape));
    dtypes.set(info.name, info.dtype);
  }
  return { tensors, metadata: { ...header.metadata }, dtypes };
}

function entriesOf(
  tensors:
    Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor> | Iterable<readonly [string, Tensor]>,
): [string, Tensor][] {
  if (tensors instanceof Map) return [...(tensors as ReadonlyMap<string, Tensor>).entries()];
  if (Symbol.iterator in Object(tensors))
    return [...(tensors as Iterable<readonly [string, Tensor]>)].map(([k, v]) => [k, v]);
  return Object.entries(tensors as Readonly<Record<string, Tensor>>);
}

/**
 * Encode tensors (a state dict, a Map or [name, tensor] pairs) as a safetensors file: float32
 * tensors as `F32`, float64 as `F64`, little-endian, in the given order. The header is padded with
 * spaces so that the data section starts 8-byte aligned, as the reference writer does.
 */
export function encodeSafetensors(
  tensors:
    Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor> | Iterable<readonly [string, Tensor]>,
  opts: EncodeSafetensorsOptions = {},
): Uint8Array {
  const entries = entriesOf(tensors);
  const header: Record<string, unknown> = {};
  if (opts.metadata !== undefined) {
    const md: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.metadata)) {
      if (typeof v !== 'string') {
        throw new ValueError(
          'encodeSafetensors',
          `metadata value '${k}' must be a string, got ${typeof v}. Fix: JSON.stringify it`,
        );
      }
      md[k] = v;
    }
    header[METADATA_KEY] = md;
  }
  let offset = 0;
  for (const [name, t] of entries) {
    if (typeof name !== 'string' || name === '' || name === METADATA_KEY) {
      throw new ValueError(
        'encodeSafetensors',
        `tensor names must be non-empty strings other than '${METADATA_KEY}', got ${JSON.stringify(name)}`,
      );
    }
    if (!(t instanceof Tensor)) {
      throw new ValueError('encodeSafetensors', `the value of '${name}' is not a Tensor`);
    }
    if (Object.hasOwn(header, name)) {
      throw new ValueError(
        'encodeSafetensors',
        `the name '${name}' appears twice. Fix: give every tensor its own name`,
      );
    }
    const bytes = t.data.byteLength;
    header[name] = {
      dtype: t.dtype === 'float64' ? 'F64' : 'F32',
      shape: [...t.shape],
      data_offsets: [offset, offset + bytes],
    };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((8 + json.length) / 8) * 8 - 8;
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let pos = 8 + padded;
  for (const [, t] of entries) {
    const src = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(src, pos);
    if (!HOST_LITTLE_ENDIAN) {
      const size = t.data.BYTES_PER_ELEMENT;
      for (let i = pos; i < pos + src.length; i += size) out.subarray(i, i + size).reverse();
    }
    pos += src.length;
  }
  return out;
}

// Node-only: reads files.
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataFileError } from './data-file-error.js';

/** Element types of the IDX format (the third byte of the magic number). */
export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** The typed arrays that hold IDX data. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A parsed IDX file: its element type, dimensions and elements (row-major, native byte order). */
export interface IdxArray {
  /** Element type. */
  dtype: IdxDType;
  /** Dimensions, outermost first (`[60000, 28, 28]` for the MNIST training images). */
  dims: number[];
  /** The elements. */
  data: IdxData;
}

const DTYPES: Record<number, { dtype: IdxDType; bytes: number }> = {
  0x08: { dtype: 'uint8', bytes: 1 },
  0x09: { dtype: 'int8', bytes: 1 },
  0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 },
  0x0d: { dtype: 'float32', bytes: 4 },
  0x0e: { dtype: 'float64', bytes: 8 },
};

const hex = (b: Uint8Array, n: number): string =>
  Array.from(b.subarray(0, n), (v) => v.toString(16).padStart(2, '0')).join(' ');

/**
 * Parse the bytes of an IDX file (LeCun's MNIST format: magic `00 00 TT NN` with element type TT
 * and NN dimensions, then NN big-endian uint32 sizes, then the big-endian elements). Gzip input
 * (magic `1f 8b`) is decompressed first. `file` names the source in error messages.
 *
 * Throws a `DataFileError` for a corrupt gzip stream, a bad magic number, an unknown element
 * type, a truncated header or body, or bytes left over after the declared data.
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  const op = 'parseIdx';
  let buf = bytes;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new DataFileError(
        op,
        file,
        `the gzip stream is corrupt or truncated (${(e as Error).message})`,
        'download or copy the file again',
      );
    }
  }
  if (buf.length < 4) {
    throw new DataFileError(
      op,
      file,
      `truncated: ${buf.length} bytes, too short for the 4-byte IDX magic number`,
    );
  }
  if (buf[0] !== 0 || buf[1] !== 0) {
    throw new DataFileError(
      op,
      file,
      `bad magic number ${hex(buf, 4)}: an IDX file starts with 00 00, then the element type and the number of dimensions`,
      'pass an IDX file (e.g. train-images-idx3-ubyte), optionally gzip-compressed',
    );
  }
  const type = DTYPES[buf[2]!];
  if (type === undefined) {
    throw new DataFileError(
      op,
      file,
      `bad magic number ${hex(buf, 4)}: unknown element type 0x${buf[2]!.toString(16).padStart(2, '0')} (expected 08, 09, 0b, 0c, 0d or 0e)`,
    );
  }
  const ndim = buf[3]!;
  if (ndim === 0) throw new DataFileError(op, file, `bad magic number ${hex(buf, 4)}: zero dimensions`);
  const headerBytes = 4 + 4 * ndim;
  if (buf.length < headerBytes) {
    throw new DataFileError(
      op,
      file,
      `truncated header: ${ndim} dimensions need ${headerBytes} header bytes, the file has ${buf.length}`,
    );
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  for (let d = 0; d < ndim; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = count * type.bytes;
  const body = buf.length - headerBytes;
  if (body < expected) {
    const rowBytes = (dims.slice(1).reduce((a, b) => a * b, 1) || 1) * type.bytes;
    throw new DataFileError(
      op,
      file,
      `truncated: the header declares dimensions [${dims.join(', ')}] of ${type.dtype} (${expected} bytes of data), but only ${body} bytes follow the header (${Math.floor(body / rowBytes)} complete items of ${dims[0]})`,
      'download or copy the file again',
    );
  }
  if (body > expected) {
    throw new DataFileError(
      op,
      file,
      `dimension/size mismatch: the header declares dimensions [${dims.join(', ')}] of ${type.dtype} (${expected} bytes of data), but ${body} bytes follow the header (${body - expected} extra)`,
      'check that the header belongs to this data',
    );
  }
  const data = decode(type.dtype, view, headerBytes, count);
  return { dtype: type.dtype, dims, data };
}

function decode(dtype: IdxDType, view: DataView, offset: number, count: number): IdxData {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + count));
    case 'int8':
      return new Int8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + count));
    case 'int16': {
      const a = new Int16Array(count);
      for (let i = 0; i < count; i++) a[i] = view.getInt16(offset + 2 * i, false);
      return a;
    }
    case 'int32': {
      const a = new Int32Array(count);
      for (let i = 0; i < count; i++) a[i] = view.getInt32(offset + 4 * i, false);
      return a;
    }
    case 'float32': {
      const a = new Float32Array(count);
      for (let i = 0; i < count; i++) a[i] = view.getFloat32(offset + 4 * i, false);
      return a;
    }
    case 'float64': {
      const a = new Float64Array(count);
      for (let i = 0; i < count; i++) a[i] = view.getFloat64(offset + 8 * i, false);
      return a;
    }
  }
}

/**
 * Read and parse an IDX file from disk (plain or gzip-compressed). Throws a `DataFileError`
 * naming the file when it does not exist, cannot be read, or is not valid IDX.
 */
export function readIdx(file: string): IdxArray {
  return parseIdx(readDataFile('readIdx', file), file);
}

/** The bytes of a data file, or a `DataFileError` saying why it cannot be read. */
export function readDataFile(op: string, file: string, fix?: string): Uint8Array {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new DataFileError(op, file, 'file not found', fix ?? 'check the path');
  }
  if (!isFile)
    throw new DataFileError(
      op,
      file,
      'not a regular file (a folder?)',
      fix ?? 'pass the path of the file itself',
    );
  try {
    return readFileSync(file);
  } catch (e) {
    throw new DataFileError(op, file, `cannot be read (${(e as Error).message})`);
  }
}

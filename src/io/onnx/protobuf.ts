import { ModelFileError } from '../model-file-error.js';

/** Protocol-buffer wire types. */
export const WireType = {
  Varint: 0,
  Fixed64: 1,
  LengthDelimited: 2,
  StartGroup: 3,
  EndGroup: 4,
  Fixed32: 5,
} as const;

/** A protocol-buffer wire type (0-5). */
export type WireType = (typeof WireType)[keyof typeof WireType];

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/**
 * A bounds-checked reader of the protocol-buffer wire format over a byte range. Every read checks
 * that the bytes exist, so truncated or corrupt input raises a {@link ModelFileError} (never a
 * RangeError or an out-of-bounds read), and nothing it returns is larger than its input.
 */
export class ProtoReader {
  /** Current position (absolute, within `bytes`). */
  pos: number;
  readonly #view: DataView;

  /**
   * @param bytes the buffer
   * @param start first byte of the message
   * @param end one past its last byte
   * @param op the operation reading (for messages)
   * @param file the file being read (for messages)
   */
  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
    readonly op = 'decodeProtobuf',
    readonly file?: string,
  ) {
    this.pos = start;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Refuse the input with a message naming the position. */
  fail(problem: string): never {
    throw new ModelFileError(
      this.op,
      this.file,
      `${problem} (at byte ${this.pos})`,
      'the file is truncated or corrupt, or is not in this format; export or download it again',
    );
  }

  /** Whether the message has been read to its end. */
  eof(): boolean {
    return this.pos >= this.end;
  }

  /** Read a field key: the field number and wire type. */
  tag(): [field: number, wire: WireType] {
    const key = this.varint();
    const field = Math.floor(key / 8);
    if (field === 0) this.fail('field number 0 is invalid');
    const wire = key & 7;
    if (wire > 5) this.fail(`invalid wire type ${wire}`);
    return [field, wire as WireType];
  }

  /** An unsigned varint as a bigint (up to 64 bits). */
  varintBig(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('a varint runs past the end of the message');
      const b = this.bytes[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    return this.fail('a varint is longer than 10 bytes');
  }

  /** An unsigned varint as a number (exact below 2^53; fast path below 2^28). */
  varint(): number {
    const start = this.pos;
    let result = 0;
    for (let i = 0; i < 4; i++) {
      if (this.pos >= this.end) this.fail('a varint runs past the end of the message');
      const b = this.bytes[this.pos++]!;
      result |= (b & 0x7f) << (7 * i);
      if ((b & 0x80) === 0) return result >>> 0;
    }
    this.pos = start;
    return Number(this.varintBig());
  }

  /** A signed 64-bit integer (two's complement varint) as a number (rounded beyond 2^53). */
  int64(): number {
    return Number(BigInt.asIntN(64, this.varintBig()));
  }

  /** An unsigned 64-bit integer as a number (rounded beyond 2^53). */
  uint64(): number {
    return Number(this.varintBig());
  }

  /** A signed 32-bit integer (enum or int32) from a varint. */
  int32(): number {
    return Number(BigInt.asIntN(32, this.varintBig()));
  }

  /** The bytes of a length-delimited field (a view, not a copy). */
  bytesField(): Uint8Array {
    const n = this.varint();
    if (n > this.end - this.pos)
      this.fail(`a field claims ${n} bytes but only ${this.end - this.pos} remain`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** The [start, end) range of a length-delimited field, for reading it as a nested message. */
  subRange(): [number, number] {
    const n = this.varint();
    if (n > this.end - this.pos)
      this.fail(`a message claims ${n} bytes but only ${this.end - this.pos} remain`);
    const start = this.pos;
    this.pos += n;
    return [start, start + n];
  }

  /** A UTF-8 string field. */
  string(): string {
    const b = this.bytesField();
    try {
      return utf8.decode(b);
    } catch {
      return this.fail('a string field is not valid UTF-8');
    }
  }

  /** A little-endian float32 (fixed32 wire type). */
  float(): number {
    if (this.end - this.pos < 4) this.fail('a float runs past the end of the message');
    const v = this.#view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A little-endian float64 (fixed64 wire type). */
  double(): number {
    if (this.end - this.pos < 8) this.fail('a double runs past the end of the message');
    const v = this.#view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Skip a field of the given wire type. */
  skip(wire: WireType): void {
    switch (wire) {
      case WireType.Varint:
        this.varintBig();
        return;
      case WireType.Fixed64:
        if (this.end - this.pos < 8) this.fail('a fixed64 runs past the end of the message');
        this.pos += 8;
        return;
      case WireType.LengthDelimited:
        this.subRange();
        return;
      case WireType.Fixed32:
        if (this.end - this.pos < 4) this.fail('a fixed32 runs past the end of the message');
        this.pos += 4;
        return;
      default:
        this.fail(`unsupported wire type ${wire}`);
    }
  }

  /** Read a repeated numeric field element, packed or not, appending to `out`. */
  repeated(wire: WireType, read: () => number, out: number[], packedWire: WireType): void {
    if (wire === WireType.LengthDelimited) {
      const [start, end] = this.subRange();
      const inner = new ProtoReader(this.bytes, start, end, this.op, this.file);
      while (!inner.eof()) out.push(read.call(inner));
      return;
    }
    if (wire !== packedWire) this.fail(`a repeated field has wire type ${wire}, expected ${packedWire}`);
    out.push(read.call(this));
  }
}

/** A growable buffer writing the protocol-buffer wire format. */
export class ProtoWriter {
  #buf = new Uint8Array(256);
  #len = 0;

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  /** Raw varint (non-negative numbers below 2^53, or any 64-bit bigint, negatives as two's complement). */
  rawVarint(value: number | bigint): void {
    let v =
      typeof value === 'bigint'
        ? BigInt.asUintN(64, value)
        : value < 0
          ? BigInt.asUintN(64, BigInt(value))
          : value;
    this.#reserve(10);
    if (typeof v === 'number' && v < 0x80000000) {
      while (v > 0x7f) {
        this.#buf[this.#len++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      this.#buf[this.#len++] = v;
      return;
    }
    let b = BigInt(v);
    while (b > 0x7fn) {
      this.#buf[this.#len++] = Number(b & 0x7fn) | 0x80;
      b >>= 7n;
    }
    this.#buf[this.#len++] = Number(b);
  }

  #key(field: number, wire: WireType): void {
    this.rawVarint(field * 8 + wire);
  }

  /** An integer field (int32, int64, enum, bool as 0/1). */
  int(field: number, value: number | bigint): void {
    this.#key(field, WireType.Varint);
    this.rawVarint(value);
  }

  /** A float32 field. */
  float(field: number, value: number): void {
    this.#key(field, WireType.Fixed32);
    this.#reserve(4);
    new DataView(this.#buf.buffer).setFloat32(this.#len, value, true);
    this.#len += 4;
  }

  /** A bytes field. */
  bytes(field: number, value: Uint8Array): void {
    this.#key(field, WireType.LengthDelimited);
    this.rawVarint(value.length);
    this.#reserve(value.length);
    this.#buf.set(value, this.#len);
    this.#len += value.length;
  }

  /** A string field (UTF-8). */
  string(field: number, value: string): void {
    this.bytes(field, utf8Encoder.encode(value));
  }

  /** A nested message field written by `write`. */
  message(field: number, write: (w: ProtoWriter) => void): void {
    const inner = new ProtoWriter();
    write(inner);
    this.bytes(field, inner.finish());
  }

  /** A packed repeated integer field. */
  packedInts(field: number, values: readonly (number | bigint)[]): void {
    const inner = new ProtoWriter();
    for (const v of values) inner.rawVarint(v);
    this.bytes(field, inner.finish());
  }

  /** A packed repeated float32 field. */
  packedFloats(field: number, values: readonly number[]): void {
    const data = new Uint8Array(new Float32Array(values).buffer);
    this.bytes(field, littleEndian(data, 4));
  }

  /** The bytes written so far. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** `data` (host-order elements of `size` bytes) in little-endian order. */
export function littleEndian(data: Uint8Array, size: number): Uint8Array {
  if (HOST_LITTLE_ENDIAN) return data;
  const out = data.slice();
  for (let i = 0; i < out.length; i += size) out.subarray(i, i + size).reverse();
  return out;
}

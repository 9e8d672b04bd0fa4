import { ValueError } from '../../errors.js';
import { littleEndian, ProtoReader, ProtoWriter, WireType } from './protobuf.js';
import { bf16ToFloat, halfToFloat } from '../half-float.js';

/** ONNX `TensorProto.DataType` codes. */
export const OnnxDataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
} as const;

const ITEM_SIZE: Readonly<Record<number, number>> = {
  1: 4,
  2: 1,
  3: 1,
  4: 2,
  5: 2,
  6: 4,
  7: 8,
  9: 1,
  10: 2,
  11: 8,
  12: 4,
  13: 8,
  16: 2,
};

/** ONNX `AttributeProto.AttributeType` codes. */
export const OnnxAttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
} as const;

/**
 * A tensor of an ONNX file. Values are decoded to numbers: a Float32Array for the float32, float16
 * and bfloat16 types, a Float64Array for double and every integer and boolean type (exact for
 * integers below 2^53).
 */
export interface OnnxTensor {
  /** The value name (initializers) or '' (attribute values). */
  name: string;
  /** Dimensions. */
  dims: number[];
  /** The stored element type (an {@link OnnxDataType} code). */
  dataType: number;
  /** The values, row-major. */
  data: Float32Array | Float64Array;
}

/** An attribute value: numbers and lists of them, strings, tensors, subgraphs. */
export type OnnxAttributeValue =
  number | string | number[] | string[] | OnnxTensor | OnnxTensor[] | OnnxGraph | OnnxGraph[];

/** A node attribute. */
export interface OnnxAttribute {
  /** Attribute name (`kernel_shape`). */
  name: string;
  /** An {@link OnnxAttributeType} code. */
  type: number;
  /** The value. */
  value: OnnxAttributeValue;
}

/** One operator application. */
export interface OnnxNode {
  /** Node name (may be empty). */
  name: string;
  /** Operator (`Conv`). */
  opType: string;
  /** Operator set domain ('' for the default ONNX domain). */
  domain: string;
  /** Input value names ('' for an omitted optional input). */
  inputs: string[];
  /** Output value names. */
  outputs: string[];
  /** Attributes by name. */
  attributes: Map<string, OnnxAttribute>;
}

/** A graph input, output or intermediate value with its declared type. */
export interface OnnxValueInfo {
  /** Value name. */
  name: string;
  /** Element type code (0 when not a tensor or unknown). */
  elemType: number;
  /** Dimensions: numbers, symbolic names, or null when unknown; null when the rank is unknown. */
  shape: (number | string | null)[] | null;
}

/** An ONNX graph. */
export interface OnnxGraph {
  /** Graph name. */
  name: string;
  /** Nodes in topological order. */
  nodes: OnnxNode[];
  /** Constant tensors (weights). */
  initializers: OnnxTensor[];
  /** Inputs (may include initializers in older files). */
  inputs: OnnxValueInfo[];
  /** Outputs. */
  outputs: OnnxValueInfo[];
  /** Types of intermediate values. */
  valueInfo: OnnxValueInfo[];
}

/** An operator set the model uses. */
export interface OnnxOpsetImport {
  /** Domain ('' or 'ai.onnx' for the default). */
  domain: string;
  /** Version. */
  version: number;
}

/** An ONNX model file. */
export interface OnnxModel {
  /** IR version. */
  irVersion: number;
  /** Operator sets. */
  opsetImports: OnnxOpsetImport[];
  /** Producer (`'pytorch'`, `'stride'`). */
  producerName: string;
  /** Producer version. */
  producerVersion: string;
  /** Model domain. */
  domain: string;
  /** Model version. */
  modelVersion: number;
  /** Documentation. */
  docString: string;
  /** The main graph. */
  graph: OnnxGraph;
  /** `metadata_props`. */
  metadata: Record<string, string>;
}

/** The deepest nesting of subgraphs (If/Loop bodies) the decoder accepts. */
const MAX_GRAPH_DEPTH = 32;

/** Whether this machine stores numbers little-endian, as ONNX raw data does (every common CPU). */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isFloat32Type(t: number): boolean {
  return t === OnnxDataType.FLOAT || t === OnnxDataType.FLOAT16 || t === OnnxDataType.BFLOAT16;
}

function readTensor(r: ProtoReader): OnnxTensor {
  const dims: number[] = [];
  let dataType = 0;
  let name = '';
  let raw: Uint8Array | null = null;
  const floats: number[] = [];
  const ints: number[] = [];
  let external = false;
  let hasStrings = false;
  while (!r.eof()) {
    const [field, wire] = r.tag();
    switch (field) {
      case 1:
        r.repeated(wire, r.int64, dims, WireType.Varint);
        break;
      case 2:
        dataType = r.int32();
        break;
      case 4:
        r.repeated(wire, r.float, floats, WireType.Fixed32);
        break;
      case 5:
        r.repeated(wire, r.int32, ints, WireType.Varint);
        break;
      case 6:
        hasStrings = true;
        r.skip(wire);
        break;
      case 7:
        r.repeated(wire, r.int64, ints, WireType.Varint);
        break;
      case 8:
        name = r.string();
        break;
      case 9:
        raw = r.bytesField();
        break;
      case 10:
        r.repeated(wire, r.double, floats, WireType.Fixed64);
        break;
      case 11:
        r.repeated(wire, r.uint64, ints, WireType.Varint);
        break;
      case 14:
        external = r.int32() === 1;
        break;
      default:
        r.skip(wire);
    }
  }
  if (external)
    r.fail(
      `tensor '${name}' keeps its data in an external file, which is not supported; save the model with the weights inside`,
    );
  if (hasStrings || dataType === OnnxDataType.STRING)
    r.fail(`tensor '${name}' holds strings, which are not supported`);
  const size = ITEM_SIZE[dataType];
  if (size === undefined) r.fail(`tensor '${name}' has unsupported data type ${dataType}`);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0))
    r.fail(`tensor '${name}' has invalid dims [${dims.join(', ')}]`);
  // Element count, refused as soon as it exceeds what the message could possibly hold.
  const limit = r.end;
  let count = dims.includes(0) ? 0 : 1;
  for (const d of count === 0 ? [] : dims) {
    count *= d;
    if (count > limit) r.fail(`tensor '${name}' of dims [${dims.join(', ')}] is larger than the file`);
  }
  const out = isFloat32Type(dataType) ? new Float32Array(count) : new Float64Array(count);
  if (raw !== null) {
    if (raw.length !== count * size) {
      r.fail(
        `tensor '${name}' of dims [${dims.join(', ')}] needs ${count * size} bytes of raw data, has ${raw.length}`,
      );
    }
    if (HOST_LITTLE_ENDIAN && (dataType === OnnxDataType.FLOAT || dataType === OnnxDataType.DOUBLE)) {
      // The bytes already are the array (ONNX stores little-endian): one bulk copy, which also
      // realigns raw data that sits at any offset of the file.
      new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(raw);
      return { name, dims, dataType, data: out };
    }
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const read: (i: number) => number = {
      1: (i: number) => dv.getFloat32(i * 4, true),
      2: (i: number) => dv.getUint8(i),
      3: (i: number) => dv.getInt8(i),
      4: (i: number) => dv.getUint16(i * 2, true),
      5: (i: number) => dv.getInt16(i * 2, true),
      6: (i: number) => dv.getInt32(i * 4, true),
      7: (i: number) => Number(dv.getBigInt64(i * 8, true)),
      9: (i: number) => (dv.getUint8(i) ? 1 : 0),
      10: (i: number) => halfToFloat(dv.getUint16(i * 2, true)),
      11: (i: number) => dv.getFloat64(i * 8, true),
      12: (i: number) => dv.getUint32(i * 4, true),
      13: (i: number) => Number(dv.getBigUint64(i * 8, true)),
      16: (i: number) => bf16ToFloat(dv.getUint16(i * 2, true)),
    }[dataType]!;
    for (let i = 0; i < count; i++) out[i] = read(i);
  } else {
    const src = floats.length > 0 ? floats : ints;
    if (src.length !== count) {
      r.fail(`tensor '${name}' of dims [${dims.join(', ')}] needs ${count} values, has ${src.length}`);
    }
    if (dataType === OnnxDataType.FLOAT16)
      for (let i = 0; i < count; i++) out[i] = halfToFloat(src[i]! & 0xffff);
    else if (dataType === OnnxDataType.BFLOAT16)
      for (let i = 0; i < count; i++) out[i] = bf16ToFloat(src[i]!);
    else out.set(src);
  }
  return { name, dims, dataType, data: out };
}

function readMessage<T>(r: ProtoReader, read: (inner: ProtoReader) => T): T {
  const [start, end] = r.subRange();
  return read(new ProtoReader(r.bytes, start, end, r.op, r.file));
}

function readValueInfo(r: ProtoReader): OnnxValueInfo {
  const info: OnnxValueInfo = { name: '', elemType: 0, shape: null };
  while (!r.eof()) {
    const [field, wire] = r.tag();
    if (field === 1) info.name = r.string();
    else if (field === 2) {
      readMessage(r, (tp) => {
        while (!tp.eof()) {
          const [f, w] = tp.tag();
          if (f !== 1) {
            tp.skip(w);
            continue;
          }
          readMessage(tp, (tt) => {
            while (!tt.eof()) {
              const [f2, w2] = tt.tag();
              if (f2 === 1) info.elemType = tt.int32();
              else if (f2 === 2) {
                info.shape = [];
                readMessage(tt, (shp) => {
                  while (!shp.eof()) {
                    const [f3, w3] = shp.tag();
                    if (f3 !== 1) {
                      shp.skip(w3);
                      continue;
                    }
                    info.shape!.push(
                      readMessage(shp, (dim) => {
                        let v: number | string | null = null;
                        while (!dim.eof()) {
                          const [f4, w4] = dim.tag();
                          if (f4 === 1) v = dim.int64();
                          else if (f4 === 2) v = dim.string();
                          else dim.skip(w4);
                        }
                        return v;
                      }),
                    );
                  }
                });
              } else tt.skip(w2);
            }
          });
        }
      });
    } else r.skip(wire);
  }
  return info;
}

/** An attribute, or null for the kinds Stride has no use for (type protos, sparse tensors). */
function readAttribute(r: ProtoReader, depth: number): OnnxAttribute | null {
  let name = '';
  let type = 0;
  let f = 0;
  let i = 0;
  let s = '';
  let t: OnnxTensor | null = null;
  let g: OnnxGraph | null = null;
  const floats: number[] = [];
  const ints: number[] = [];
  const strings: string[] = [];
  const tensors: OnnxTensor[] = [];
  const graphs: OnnxGraph[] = [];
  while (!r.eof()) {
    const [field, wire] = r.tag();
    switch (field) {
      case 1:
        name = r.string();
        break;
      case 20:
        type = r.int32();
        break;
      case 2:
        f = r.float();
        break;
      case 3:
        i = r.int64();
        break;
      case 4:
        s = r.string();
        break;
      case 5:
        t = readMessage(r, readTensor);
        break;
      case 6:
        g = readMessage(r, (inner) => readGraph(inner, depth + 1));
        break;
      case 7:
        r.repeated(wire, r.float, floats, WireType.Fixed32);
        break;
      case 8:
        r.repeated(wire, r.int64, ints, WireType.Varint);
        break;
      case 9:
        strings.push(r.string());
        break;
      case 10:
        tensors.push(readMessage(r, readTensor));
        break;
      case 11:
        graphs.push(readMessage(r, (inner) => readGraph(inner, depth + 1)));
        break;
      default:
        r.skip(wire);
    }
  }
  const T = OnnxAttributeType;
  const value: OnnxAttributeValue | null =
    type === T.FLOAT
      ? f
      : type === T.INT
        ? i
        : type === T.STRING
          ? s
          : type === T.TENSOR
            ? t
            : type === T.GRAPH
              ? g
              : type === T.FLOATS
                ? floats
                : type === T.INTS
                  ? ints
                  : type === T.STRINGS
                    ? strings
                    : type === T.TENSORS
                      ? tensors
                      : type === T.GRAPHS
                        ? graphs
                        : null;
  return value === null ? null : { name, type, value };
}

function readNode(r: ProtoReader, depth: number): OnnxNode {
  const node: OnnxNode = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: new Map() };
  while (!r.eof()) {
    const [field, wire] = r.tag();
    if (field === 1) node.inputs.push(r.string());
    else if (field === 2) node.outputs.push(r.string());
    else if (field === 3) node.name = r.string();
    else if (field === 4) node.opType = r.string();
    else if (field === 7) node.domain = r.string();
    else if (field === 5) {
      const a = readMessage(r, (inner) => readAttribute(inner, depth));
      if (a) node.attributes.set(a.name, a);
    } else r.skip(wire);
  }
  if (node.opType === '') r.fail('a node has no op_type');
  return node;
}

function readGraph(r: ProtoReader, depth: number): OnnxGraph {
  if (depth > MAX_GRAPH_DEPTH) r.fail(`subgraphs are nested more than ${MAX_GRAPH_DEPTH} deep`);
  const g: OnnxGraph = { name: '', nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [] };
  while (!r.eof()) {
    const [field, wire] = r.tag();
    if (field === 1) g.nodes.push(readMessage(r, (inner) => readNode(inner, depth)));
    else if (field === 2) g.name = r.string();
    else if (field === 5) g.initializers.push(readMessage(r, readTensor));
    else if (field === 11) g.inputs.push(readMessage(r, readValueInfo));
    else if (field === 12) g.outputs.push(readMessage(r, readValueInfo));
    else if (field === 13) g.valueInfo.push(readMessage(r, readValueInfo));
    else if (field === 15) r.fail('sparse initializers are not supported');
    else r.skip(wire);
  }
  return g;
}

/**
 * Decode an ONNX model file (`ModelProto`). Every length and count is checked against the bytes
 * present, so a truncated or corrupt file is refused with a {@link ModelFileError} and decoding
 * allocates memory proportional to the file.
 */
export function decodeOnnxModel(bytes: Uint8Array, file?: string): OnnxModel {
  const r = new ProtoReader(bytes, 0, bytes.length, 'importOnnx', file);
  const m: OnnxModel = {
    irVersion: 0,
    opsetImports: [],
    producerName: '',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    graph: { name: '', nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [] },
    metadata: {},
  };
  let sawGraph = false;
  while (!r.eof()) {
    const [field, wire] = r.tag();
    if (field === 1) m.irVersion = r.int64();
    else if (field === 2) m.producerName = r.string();
    else if (field === 3) m.producerVersion = r.string();
    else if (field === 4) m.domain = r.string();
    else if (field === 5) m.modelVersion = r.int64();
    else if (field === 6) m.docString = r.string();
    else if (field === 7) {
      m.graph = readMessage(r, (inner) => readGraph(inner, 0));
      sawGraph = true;
    } else if (field === 8) {
      m.opsetImports.push(
        readMessage(r, (inner) => {
          const o: OnnxOpsetImport = { domain: '', version: 0 };
          while (!inner.eof()) {
            const [f, w] = inner.tag();
            if (f === 1) o.domain = inner.string();
            else if (f === 2) o.version = inner.int64();
            else inner.skip(w);
          }
          return o;
        }),
      );
    } else if (field === 14) {
      readMessage(r, (inner) => {
        let key = '';
        let value = '';
        while (!inner.eof()) {
          const [f, w] = inner.tag();
          if (f === 1) key = inner.string();
          else if (f === 2) value = inner.string();
          else inner.skip(w);
        }
        m.metadata[key] = value;
      });
    } else r.skip(wire);
  }
  if (!sawGraph) r.fail('the file has no graph; it is not an ONNX model');
  return m;
}

/** Decode a lone `TensorProto` (the `.pb` files of ONNX test cases). */
export function decodeOnnxTensor(bytes: Uint8Array, file?: string): OnnxTensor {
  return readTensor(new ProtoReader(bytes, 0, bytes.length, 'decodeOnnxTensor', file));
}

function writeTensor(w: ProtoWriter, t: OnnxTensor): void {
  w.packedInts(1, t.dims);
  w.int(2, t.dataType);
  if (t.name) w.string(8, t.name);
  let raw: Uint8Array;
  if (t.dataType === OnnxDataType.FLOAT) {
    const f = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
    raw = littleEndian(new Uint8Array(f.buffer, f.byteOffset, f.byteLength), 4);
  } else if (t.dataType === OnnxDataType.DOUBLE) {
    const f = t.data instanceof Float64Array ? t.data : Float64Array.from(t.data);
    raw = littleEndian(new Uint8Array(f.buffer, f.byteOffset, f.byteLength), 8);
  } else if (t.dataType === OnnxDataType.INT64) {
    const a = BigInt64Array.from(t.data, (v) => BigInt(Math.trunc(v)));
    raw = littleEndian(new Uint8Array(a.buffer), 8);
  } else if (t.dataType === OnnxDataType.INT32) {
    const a = Int32Array.from(t.data);
    raw = littleEndian(new Uint8Array(a.buffer), 4);
  } else {
    throw new ValueError(
      'encodeOnnxModel',
      `writing tensors of data type ${t.dataType} is not supported; use FLOAT, DOUBLE, INT32 or INT64`,
    );
  }
  w.bytes(9, raw);
}

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.string(1, v.name);
  w.message(2, (tp) =>
    tp.message(1, (tt) => {
      tt.int(1, v.elemType);
      if (v.shape !== null) {
        tt.message(2, (shp) => {
          for (const d of v.shape!) {
            shp.message(1, (dim) => {
              if (typeof d === 'number') dim.int(1, d);
              else if (typeof d === 'string') dim.string(2, d);
            });
          }
        });
      }
    }),
  );
}

function writeAttribute(w: ProtoWriter, a: OnnxAttribute): void {
  const T = OnnxAttributeType;
  w.string(1, a.name);
  w.int(20, a.type);
  const v = a.value;
  if (a.type === T.FLOAT) w.float(2, v as number);
  else if (a.type === T.INT) w.int(3, v as number);
  else if (a.type === T.STRING) w.string(4, v as string);
  else if (a.type === T.TENSOR) w.message(5, (inner) => writeTensor(inner, v as OnnxTensor));
  else if (a.type === T.GRAPH) w.message(6, (inner) => writeGraph(inner, v as OnnxGraph));
  else if (a.type === T.FLOATS) w.packedFloats(7, v as number[]);
  else if (a.type === T.INTS) w.packedInts(8, v as number[]);
  else if (a.type === T.STRINGS) for (const s of v as string[]) w.string(9, s);
  else if (a.type === T.TENSORS)
    for (const t of v as OnnxTensor[]) w.message(10, (inner) => writeTensor(inner, t));
  else if (a.type === T.GRAPHS)
    for (const g of v as OnnxGraph[]) w.message(11, (inner) => writeGraph(inner, g));
}

function writeGraph(w: ProtoWriter, g: OnnxGraph): void {
  for (const n of g.nodes) {
    w.message(1, (nw) => {
      for (const i of n.inputs) nw.string(1, i);
      for (const o of n.outputs) nw.string(2, o);
      if (n.name) nw.string(3, n.name);
      nw.string(4, n.opType);
      if (n.domain) nw.string(7, n.domain);
      for (const a of n.attributes.values()) nw.message(5, (aw) => writeAttribute(aw, a));
    });
  }
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, (tw) => writeTensor(tw, t));
  for (const v of g.inputs) w.message(11, (vw) => writeValueInfo(vw, v));
  for (const v of g.outputs) w.message(12, (vw) => writeValueInfo(vw, v));
  for (const v of g.valueInfo) w.message(13, (vw) => writeValueInfo(vw, v));
}

/** Encode an ONNX model (`ModelProto`). Tensors are written as raw little-endian data. */
export function encodeOnnxModel(m: OnnxModel): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, m.irVersion);
  for (const o of m.opsetImports) {
    w.message(8, (ow) => {
      ow.string(1, o.domain);
      ow.int(2, o.version);
    });
  }
  if (m.producerName) w.string(2, m.producerName);
  if (m.producerVersion) w.string(3, m.producerVersion);
  if (m.domain) w.string(4, m.domain);
  if (m.modelVersion) w.int(5, m.modelVersion);
  if (m.docString) w.string(6, m.docString);
  w.message(7, (gw) => writeGraph(gw, m.graph));
  for (const [key, value] of Object.entries(m.metadata)) {
    w.message(14, (kw) => {
      kw.string(1, key);
      kw.string(2, value);
    });
  }
  return w.finish();
}

/** Encode a lone `TensorProto`. */
export function encodeOnnxTensor(t: OnnxTensor): Uint8Array {
  const w = new ProtoWriter();
  writeTensor(w, t);
  return w.finish();
}

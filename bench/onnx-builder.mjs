// Writes single-operator ONNX models (protobuf bytes) for the onnxruntime peer, so that W5 needs
// no Python. Only the few ModelProto fields these graphs use are encoded.

import { TextEncoder } from 'node:util';

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;
const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR_INTS = 7; // AttributeProto.AttributeType.INTS

function varint(value) {
  const out = [];
  let v = BigInt(value);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

/** A protobuf message under construction: a list of encoded fields. */
class Message {
  constructor() {
    this.parts = [];
  }
  int(field, value) {
    this.parts.push(Uint8Array.from([...varint((field << 3) | WIRE_VARINT), ...varint(value)]));
    return this;
  }
  bytes(field, data) {
    this.parts.push(Uint8Array.from([...varint((field << 3) | WIRE_BYTES), ...varint(data.length)]), data);
    return this;
  }
  string(field, s) {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  message(field, m) {
    return this.bytes(field, m.encode());
  }
  encode() {
    const size = this.parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(size);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
}

function valueInfo(name, shape) {
  const dims = new Message();
  for (const d of shape) dims.message(1, new Message().int(1, d));
  const tensorType = new Message().int(1, FLOAT).message(2, dims);
  return new Message().string(1, name).message(2, new Message().message(1, tensorType));
}

function tensor(name, shape, data) {
  const t = new Message();
  for (const d of shape) t.int(1, d);
  t.int(2, FLOAT).string(8, name);
  return t.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

function intsAttribute(name, values) {
  const a = new Message().string(1, name).int(20, ATTR_INTS);
  for (const v of values) a.int(8, v);
  return a;
}

/**
 * A model of one node. `inputs`/`outputs` are [name, shape] pairs; `initializers` are
 * [name, shape, Float32Array] constants; `attributes` maps names to integer lists.
 */
export function singleNodeModel({ opType, inputs, outputs, initializers = [], attributes = {} }) {
  const node = new Message();
  for (const [name] of inputs) node.string(1, name);
  for (const [name] of initializers) node.string(1, name);
  for (const [name] of outputs) node.string(2, name);
  node.string(3, `${opType.toLowerCase()}0`).string(4, opType);
  for (const [name, values] of Object.entries(attributes)) node.message(5, intsAttribute(name, values));

  const graph = new Message().message(1, node).string(2, `single_${opType}`);
  for (const [name, shape, data] of initializers) graph.message(5, tensor(name, shape, data));
  for (const [name, shape] of inputs) graph.message(11, valueInfo(name, shape));
  for (const [name, shape] of outputs) graph.message(12, valueInfo(name, shape));

  return new Message()
    .int(1, 7) // ir_version
    .string(2, 'stride-bench')
    .message(7, graph)
    .message(8, new Message().string(1, '').int(2, 13)) // opset 13
    .encode();
}

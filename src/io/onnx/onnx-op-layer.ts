import { ValueError } from '../../errors.js';
import { Module } from '../../nn/module.js';
import { Parameter } from '../../nn/parameter.js';
import { zeros } from '../../tensor/creation.js';
import { Tensor } from '../../tensor/tensor.js';
import type { ConfigReader } from '../config-reader.js';
import { isJsonObject, type JsonObject } from '../json-value.js';
import type { LayerSerializer } from '../layer-registry.js';
import { attributesFromJson, attributesToJson, OnnxAttrs } from './onnx-attributes.js';
import { ONNX_KERNELS, isSupportedOnnxOp } from './onnx-ops.js';
import type { OnnxAttribute } from './onnx-proto.js';

/** Where one ONNX input of an {@link OnnxOp} comes from. */
export type OnnxSlot =
  | {
      /** The n-th tensor passed to `forward`. */
      readonly kind: 'input';
      /** Position among the forward arguments. */
      readonly index: number;
    }
  | {
      /** A constant held by the layer (a parameter or a buffer). */
      readonly kind: 'const';
      /** Its name in the state dict (`c1`). */
      readonly name: string;
    }
  | {
      /** An omitted optional input. */
      readonly kind: 'none';
    };

/** A constant of an {@link OnnxOp}: its values and whether it trains. */
export interface OnnxConstant {
  /** The values. */
  readonly tensor: Tensor;
  /** A trainable parameter (weights of Conv, Gemm, ...) or a fixed buffer (shapes, scales). */
  readonly trainable: boolean;
}

/**
 * One ONNX operator as a Stride layer, for the operators (or attribute combinations) that have no
 * equivalent Stride layer: it runs the operator's kernel on its forward inputs and its constants.
 * Constant weights are parameters (they train); other constants are buffers. Imported graphs use
 * Stride layers (Conv2d, Linear, BatchNorm2d, ...) wherever they express the node exactly.
 */
export class OnnxOp extends Module {
  /** The ONNX operator (`'Resize'`). */
  readonly opType: string;
  /** The opset version whose semantics apply. */
  readonly opset: number;
  /** The node's attributes. */
  readonly attributes: ReadonlyMap<string, OnnxAttribute>;
  /** Where each ONNX input comes from, in ONNX order. */
  readonly slots: readonly OnnxSlot[];
  /** Which of the operator's outputs `forward` returns (0 but for multi-output operators such as Split). */
  readonly outputIndex: number;
  readonly #attrs: OnnxAttrs;

  constructor(
    opType: string,
    opset: number,
    attributes: ReadonlyMap<string, OnnxAttribute>,
    slots: readonly OnnxSlot[],
    constants: ReadonlyMap<string, OnnxConstant> = new Map(),
    outputIndex = 0,
  ) {
    super();
    if (!isSupportedOnnxOp(opType)) {
      throw new ValueError('OnnxOp', `the ONNX operator '${opType}' is not supported`);
    }
    this.opType = opType;
    this.opset = opset;
    this.attributes = new Map(attributes);
    this.slots = slots.map((s) => ({ ...s }));
    this.outputIndex = outputIndex;
    this.#attrs = new OnnxAttrs(opType, this.attributes);
    for (const s of this.slots) {
      if (s.kind !== 'const') continue;
      const c = constants.get(s.name);
      if (!c) throw new ValueError('OnnxOp', `constant '${s.name}' is missing`);
      if (c.trainable) this.registerParameter(s.name, new Parameter(c.tensor));
      else this.registerBuffer(s.name, c.tensor);
    }
  }

  #constant(name: string): Tensor {
    const own = this.ownParameters().find(([n]) => n === name);
    return own ? own[1] : this.getBuffer(name)!;
  }

  /** Run the operator; output {@link outputIndex} is returned. */
  forward(...inputs: Tensor[]): Tensor {
    const args = this.slots.map((s) => {
      if (s.kind === 'none') return null;
      if (s.kind === 'const') return this.#constant(s.name);
      const t = inputs[s.index];
      if (t === undefined) {
        throw new ValueError(
          `onnx.${this.opType}`,
          `expected at least ${s.index + 1} input tensor(s), got ${inputs.length}`,
        );
      }
      return t;
    });
    const outputs = ONNX_KERNELS[this.opType]!(args, this.#attrs, this.opset);
    return (
      outputs[this.outputIndex] ??
      (() => {
        throw new ValueError(
          `onnx.${this.opType}`,
          `has ${outputs.length} outputs, not ${this.outputIndex + 1}`,
        );
      })()
    );
  }

  override get typeName(): string {
    return `OnnxOp[${this.opType}]`;
  }

  override extraRepr(): string {
    const parts = [`opset=${this.opset}`];
    if (this.outputIndex !== 0) parts.push(`output=${this.outputIndex}`);
    for (const [name, a] of this.attributes) {
      if (Array.isArray(a.value) || typeof a.value === 'number' || typeof a.value === 'string') {
        parts.push(`${name}=${JSON.stringify(a.value)}`);
      }
    }
    return parts.join(', ');
  }
}

function slotsFrom(c: ConfigReader): OnnxSlot[] {
  return c.list('slots').map((s) => {
    if (!isJsonObject(s)) return c.fail('slots', 'a list of slot objects');
    if (s.kind === 'none') return { kind: 'none' };
    if (s.kind === 'input' && typeof s.index === 'number' && Number.isSafeInteger(s.index) && s.index >= 0) {
      return { kind: 'input', index: s.index };
    }
    if (s.kind === 'const' && typeof s.name === 'string' && /^c\d+$/.test(s.name))
      return { kind: 'const', name: s.name };
    return c.fail('slots', "slots of kind 'input' (with an index), 'const' (named c<n>) or 'none'");
  });
}

interface ConstantSpec {
  name: string;
  shape: number[];
  trainable: boolean;
}

function constantsFrom(c: ConfigReader): ConstantSpec[] {
  return c.list('constants').map((e) => {
    const ok =
      isJsonObject(e) &&
      typeof e.name === 'string' &&
      typeof e.trainable === 'boolean' &&
      Array.isArray(e.shape) &&
      e.shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0);
    if (!ok) return c.fail('constants', 'a list of {name, shape, trainable}');
    return { name: e.name as string, shape: e.shape as number[], trainable: e.trainable as boolean };
  });
}

/** OnnxOp's saved form (its catalog row in io/catalog/ registers it). */
export const ONNX_OP_SAVED: LayerSerializer<OnnxOp> = {
  type: 'OnnxOp',
  cls: OnnxOp,
  toConfig: (m) => {
    const constants: JsonObject[] = [];
    for (const s of m.slots) {
      if (s.kind !== 'const') continue;
      const p = m.ownParameters().find(([n]) => n === s.name);
      const t = p ? p[1] : m.getBuffer(s.name)!;
      constants.push({ name: s.name, shape: [...t.shape], trainable: p !== undefined });
    }
    return {
      opType: m.opType,
      opset: m.opset,
      attributes: attributesToJson(m.attributes),
      slots: m.slots.map((s) => ({ ...s })) as JsonObject[],
      constants,
      outputIndex: m.outputIndex,
    };
  },
  fromConfig: (c) => {
    const opType = c.string('opType');
    if (!isSupportedOnnxOp(opType)) c.fail('opType', 'a supported ONNX operator');
    const attributes =
      attributesFromJson(c.child('attributes').obj) ??
      c.fail('attributes', 'ONNX attributes as written by Stride');
    const constants = new Map<string, OnnxConstant>();
    for (const k of constantsFrom(c))
      constants.set(k.name, { tensor: zeros(k.shape), trainable: k.trainable });
    const slots = slotsFrom(c);
    for (const s of slots)
      if (s.kind === 'const' && !constants.has(s.name))
        c.fail('slots', `constants listed in 'constants' (missing ${s.name})`);
    return new OnnxOp(
      opType,
      c.int('opset', undefined, 1),
      attributes,
      slots,
      constants,
      c.int('outputIndex', 0, 0),
    );
  },
  stateSize: (c) => constantsFrom(c).reduce((n, k) => n + k.shape.reduce((a, b) => a * b, 1), 0),
};

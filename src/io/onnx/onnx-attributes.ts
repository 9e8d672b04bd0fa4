import { ValueError } from '../../errors.js';
import type { JsonObject, JsonValue } from '../json-value.js';
import { OnnxAttributeType, type OnnxAttribute, type OnnxTensor } from './onnx-proto.js';

/**
 * Typed access to the attributes of one ONNX node, with the ONNX defaults. A missing required
 * attribute or one of the wrong type is refused with a ValueError naming the operator.
 */
export class OnnxAttrs {
  /**
   * @param op the operator, for messages (`'Conv'`)
   * @param attrs the node's attributes by name
   */
  constructor(
    readonly op: string,
    readonly attrs: ReadonlyMap<string, OnnxAttribute>,
  ) {}

  #fail(name: string, expected: string): never {
    throw new ValueError(`onnx.${this.op}`, `attribute '${name}' must be ${expected}`);
  }

  /** Whether the attribute is present. */
  has(name: string): boolean {
    return this.attrs.has(name);
  }

  /** An INT attribute. */
  int(name: string, def?: number): number {
    const a = this.attrs.get(name);
    if (!a) return def ?? this.#fail(name, 'given (it is required)');
    if (a.type !== OnnxAttributeType.INT) this.#fail(name, 'an integer');
    return a.value as number;
  }

  /** A FLOAT attribute. */
  float(name: string, def?: number): number {
    const a = this.attrs.get(name);
    if (!a) return def ?? this.#fail(name, 'given (it is required)');
    if (a.type !== OnnxAttributeType.FLOAT && a.type !== OnnxAttributeType.INT) this.#fail(name, 'a number');
    return a.value as number;
  }

  /** A STRING attribute. */
  string(name: string, def?: string): string {
    const a = this.attrs.get(name);
    if (!a) return def ?? this.#fail(name, 'given (it is required)');
    if (a.type !== OnnxAttributeType.STRING) this.#fail(name, 'a string');
    return a.value as string;
  }

  /** An INTS attribute. */
  ints(name: string, def?: readonly number[]): number[] {
    const a = this.attrs.get(name);
    if (!a) return def ? [...def] : this.#fail(name, 'given (it is required)');
    if (a.type !== OnnxAttributeType.INTS) this.#fail(name, 'a list of integers');
    return [...(a.value as number[])];
  }

  /** A FLOATS attribute. */
  floats(name: string, def?: readonly number[]): number[] {
    const a = this.attrs.get(name);
    if (!a) return def ? [...def] : this.#fail(name, 'given (it is required)');
    if (a.type !== OnnxAttributeType.FLOATS && a.type !== OnnxAttributeType.INTS)
      this.#fail(name, 'a list of numbers');
    return [...(a.value as number[])];
  }

  /** A TENSOR attribute. */
  tensor(name: string): OnnxTensor | undefined {
    const a = this.attrs.get(name);
    if (!a) return undefined;
    if (a.type !== OnnxAttributeType.TENSOR) this.#fail(name, 'a tensor');
    return a.value as OnnxTensor;
  }
}

/** Attributes as JSON (numbers, strings and lists; tensor attributes as {dims, dataType, data}). */
export function attributesToJson(attrs: ReadonlyMap<string, OnnxAttribute>): JsonObject {
  const out: JsonObject = {};
  for (const [name, a] of attrs) {
    let value: JsonValue;
    if (a.type === OnnxAttributeType.TENSOR) {
      const t = a.value as OnnxTensor;
      value = { dims: [...t.dims], dataType: t.dataType, data: Array.from(t.data) };
    } else if (
      a.type === OnnxAttributeType.GRAPH ||
      a.type === OnnxAttributeType.GRAPHS ||
      a.type === OnnxAttributeType.TENSORS
    ) {
      throw new ValueError(
        'onnx',
        `attribute '${name}' holds a subgraph or tensor list, which Stride cannot save`,
      );
    } else {
      value = Array.isArray(a.value) ? [...(a.value as (number | string)[])] : (a.value as number | string);
    }
    out[name] = { type: a.type, value };
  }
  return out;
}

/** The inverse of {@link attributesToJson}; returns null when the JSON is malformed. */
export function attributesFromJson(json: JsonObject): Map<string, OnnxAttribute> | null {
  const out = new Map<string, OnnxAttribute>();
  const T = OnnxAttributeType;
  for (const [name, entry] of Object.entries(json)) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return null;
    const { type, value } = entry as { type: unknown; value: unknown };
    const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
    if ((type === T.FLOAT || type === T.INT) && isNum(value))
      out.set(name, { name, type, value: value as number });
    else if (type === T.STRING && typeof value === 'string') out.set(name, { name, type, value });
    else if ((type === T.FLOATS || type === T.INTS) && Array.isArray(value) && value.every(isNum))
      out.set(name, { name, type, value: value as number[] });
    else if (type === T.STRINGS && Array.isArray(value) && value.every((v) => typeof v === 'string'))
      out.set(name, { name, type, value: value as string[] });
    else if (type === T.TENSOR && typeof value === 'object' && value !== null) {
      const t = value as { dims: unknown; dataType: unknown; data: unknown };
      if (!Array.isArray(t.dims) || !t.dims.every((d) => Number.isSafeInteger(d) && d >= 0)) return null;
      if (!Array.isArray(t.data) || !t.data.every(isNum) || !isNum(t.dataType)) return null;
      const count = (t.dims as number[]).reduce((a, b) => a * b, 1);
      if (count !== t.data.length) return null;
      out.set(name, {
        name,
        type,
        value: {
          name: '',
          dims: t.dims as number[],
          dataType: t.dataType as number,
          data: Float64Array.from(t.data as number[]),
        },
      });
    } else return null;
  }
  return out;
}

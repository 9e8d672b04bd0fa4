/**
 * The activation catalog: one row per activation layer, holding every fact the file formats need
 * about it (its saved options, its ONNX form for export and import, its Keras and TensorFlow names,
 * and the functional op its forward records). Each format reads these rows instead of keeping its
 * own list; adding an activation to every format is adding one row here.
 *
 * Defaults are declared once, in the layer's constructor: a row reads them from a layer built
 * without arguments (`new ELU().alpha`), so nothing here repeats them. ONNX's and Keras' own
 * attribute defaults are facts of those formats and are named where they apply.
 */
import {
  CELU,
  ELU,
  GELU,
  Hardsigmoid,
  Hardswish,
  Hardtanh,
  KerasHardSigmoid,
  LeakyReLU,
  LogSoftmax,
  Mish,
  ReLU,
  ReLU6,
  SELU,
  Sigmoid,
  SiLU,
  Softmax,
  Softplus,
  Softsign,
  Tanh,
} from '../../nn/activation-layers.js';
import { ValueError } from '../../errors.js';
import type { Module } from '../../nn/module.js';
import { float, type OnnxBuilder } from '../onnx/onnx-builder.js';
import type { OnnxAttrs } from '../onnx/onnx-attributes.js';
import { kerasNumber, toChannelsFirst, type KerasImport } from './keras-layer.js';
import type { TfjsGraphImport } from './tfjs-graph-layer.js';

/** A value of an activation option (numbers, enumerated strings, or unset for optional ones). */
export type OptionValue = number | string | undefined;

/** The resolved options of an activation, by name (the layer's field names). */
export type OptionValues = Readonly<Record<string, OptionValue>>;

/**
 * One option of an activation layer. Its name is the layer's public field, the key in the saved
 * config and the attribute its functional op records on the autograd graph.
 */
export type ActivationOption =
  | { readonly name: string; readonly kind: 'number' }
  | { readonly name: string; readonly kind: 'optionalInt' }
  | { readonly name: string; readonly kind: 'enum'; readonly values: readonly string[] };

/** Where an ONNX emitter writes: the builder, the input value's name and a name prefix. */
export interface OnnxEmit {
  /** The graph being built. */
  readonly b: OnnxBuilder;
  /** The ONNX value the activation reads. */
  readonly x: string;
  /** Prefix for the names of the constants it adds. */
  readonly path: string;
  /** The rank of the input (for axis arithmetic). */
  readonly rank: number;
}

/** Reads a numeric attribute of a TensorFlow graph node, with TensorFlow's default. */
export interface TfNumberAttrs {
  /** The attribute's value, or `def`. */
  float(name: string, def: number): number;
}

/** Everything the formats know about one activation layer. */
export interface ActivationRow<M extends Module = Module> {
  /** The saved type name (the class name). */
  readonly type: string;
  /** The layer class (matched exactly). */
  readonly cls: new (...args: never[]) => M;
  /** The functional op the layer's forward records on the autograd graph (`'elu'`), when it is one op. */
  readonly op?: string;
  /** The options, in constructor order. */
  readonly options: readonly ActivationOption[];
  /** A layer from option values (an unset value takes the constructor's default). */
  readonly create: (o: OptionValues) => M;
  /** Its ONNX form. */
  readonly onnx: {
    /** Emit the nodes that compute `layer` on `e.x`; returns the output's name. */
    readonly emit: (layer: M, e: OnnxEmit) => string;
    /**
     * The ONNX operator that imports as this layer, and the layer for a node's attributes (null when
     * those attributes have no exact equivalent; the node then runs as a generic ONNX op).
     */
    readonly import?: { readonly op: string; readonly create: (a: OnnxAttrs, opset: number) => M | null };
  };
  /**
   * Keras activation strings (`activation: 'elu'`) that mean this layer, for channels-first tensors,
   * and the layer they make (default: the layer with its default options).
   */
  readonly keras?: { readonly names: readonly string[]; readonly create?: () => M };
  /** The Keras layer classes (`ReLU`, `ELU`, ...) that import as this activation, with their options. */
  readonly kerasLayer?: KerasImport;
  /** The TensorFlow graph op (`'Elu'`) and the layer for its attributes. */
  readonly tf?: { readonly op: string; readonly create: (a: TfNumberAttrs) => M };
  /** TensorFlow graph ops that need more than attributes (the input's layout): their own import. */
  readonly tfjsGraph?: TfjsGraphImport;
}

const num = (o: OptionValues, name: string): number | undefined => o[name] as number | undefined;

/** A single ONNX node with attributes computed from the layer. */
function onnxNode<M extends Module>(
  opType: string,
  attrs: (m: M) => Record<string, number | { float: number }> = () => ({}),
): (m: M, e: OnnxEmit) => string {
  return (m, e) => e.b.op(opType, [e.x], attrs(m), e.path);
}

function clip(e: OnnxEmit, lo: number, hi: number): string {
  return e.b.op(
    'Clip',
    [e.x, e.b.floats([lo], [], `${e.path}.min`), e.b.floats([hi], [], `${e.path}.max`)],
    {},
    e.path,
  );
}

/** PyTorch's hard sigmoid x/6 + 1/2 as ONNX HardSigmoid's alpha and beta. */
const HARD_SIGMOID = { alpha: float(1 / 6), beta: float(0.5) };

/** Whether ONNX HardSigmoid attributes are PyTorch's x/6 + 1/2 (ONNX's defaults are 0.2 and 0.5). */
function isTorchHardSigmoid(a: OnnxAttrs): boolean {
  return Math.abs(a.float('alpha', 0.2) - 1 / 6) < 1e-7 && a.float('beta', 0.5) === 0.5;
}

/** Whether ONNX HardSigmoid attributes are Keras' 0.2·x + 0.5 (ONNX's defaults). */
function isKerasHardSigmoid(a: OnnxAttrs): boolean {
  return Math.abs(a.float('alpha', 0.2) - 0.2) < 1e-7 && a.float('beta', 0.5) === 0.5;
}

/** SELU's fixed constants (ONNX attribute defaults, and PyTorch's). */
const SELU_ALPHA = 1.6732632423543772;
const SELU_GAMMA = 1.0507009873554805;

/** The axis PyTorch's implicit softmax dimension picks (see `nn.Softmax`). */
function softmaxAxis(dim: number | undefined, rank: number): number {
  if (dim !== undefined) return dim < 0 ? dim + rank : dim;
  return rank === 0 || rank === 1 || rank === 3 ? 0 : 1;
}

function gelu(m: GELU, e: OnnxEmit): string {
  const { b, x, path } = e;
  const half = b.floats([0.5], [], `${path}.half`);
  const one = b.floats([1], [], `${path}.one`);
  let inner: string;
  if (m.approximate === 'tanh') {
    const cube = b.op('Mul', [x, b.op('Mul', [x, x], {}, path)], {}, path);
    const sum = b.op(
      'Add',
      [x, b.op('Mul', [cube, b.floats([0.044715], [], `${path}.k`)], {}, path)],
      {},
      path,
    );
    inner = b.op(
      'Tanh',
      [b.op('Mul', [sum, b.floats([Math.sqrt(2 / Math.PI)], [], `${path}.s`)], {}, path)],
      {},
      path,
    );
  } else {
    inner = b.op('Erf', [b.op('Div', [x, b.floats([Math.SQRT2], [], `${path}.sqrt2`)], {}, path)], {}, path);
  }
  return b.op('Mul', [b.op('Mul', [x, half], {}, path), b.op('Add', [inner, one], {}, path)], {}, path);
}

/**
 * Below this threshold, PyTorch's switch to x (where beta·x > threshold) differs visibly from the
 * smooth log(1 + e^(beta·x)) / beta that ONNX's Softplus computes (by log1p(e^-threshold) / beta).
 */
const ONNX_SOFTPLUS_MIN_THRESHOLD = 15;

function softplus(m: Softplus, e: OnnxEmit): string {
  const { b, x, path } = e;
  if (m.threshold < ONNX_SOFTPLUS_MIN_THRESHOLD) {
    throw new ValueError(
      'exportOnnx',
      `Softplus: threshold ${m.threshold} changes results by up to ${(Math.log1p(Math.exp(-m.threshold)) / m.beta).toExponential(1)}, ` +
        `and ONNX's Softplus has no threshold. Fix: use a threshold of at least ${ONNX_SOFTPLUS_MIN_THRESHOLD} (PyTorch's default is 20)`,
    );
  }
  if (m.beta === 1) return b.op('Softplus', [x], {}, path);
  const scaled = b.op('Mul', [x, b.floats([m.beta], [], `${path}.beta`)], {}, path);
  return b.op(
    'Div',
    [b.op('Softplus', [scaled], {}, path), b.floats([m.beta], [], `${path}.beta`)],
    {},
    path,
  );
}

/** Every activation layer, one row each. */
export const ACTIVATIONS: readonly ActivationRow[] = [
  {
    type: 'ReLU',
    cls: ReLU,
    op: 'relu',
    options: [],
    create: () => new ReLU(),
    onnx: { emit: onnxNode('Relu'), import: { op: 'Relu', create: () => new ReLU() } },
    keras: { names: ['relu'] },
    // Keras' ReLU layer: a leaky slope, a cap, or both (a capped ReLU is ReLU6 or a Hardtanh).
    kerasLayer: {
      classes: ['ReLU'],
      create: (l) => {
        const cfg = l.config;
        const maxValue = typeof cfg.max_value === 'number' ? cfg.max_value : null;
        const slope = kerasNumber(cfg, 'negative_slope', 0);
        if (kerasNumber(cfg, 'threshold', 0) !== 0 || (slope !== 0 && maxValue !== null))
          l.refuse(`ReLU '${l.name}' with a threshold or a capped leaky slope is not supported`);
        const m =
          slope !== 0
            ? new LeakyReLU(slope)
            : maxValue === 6
              ? new ReLU6()
              : maxValue !== null
                ? new Hardtanh(0, maxValue)
                : new ReLU();
        const x = l.inputs[0]!;
        return l.add(l.name, m, [x], x.rank);
      },
    },
    tf: { op: 'Relu', create: () => new ReLU() },
  },
  {
    type: 'LeakyReLU',
    cls: LeakyReLU,
    op: 'leakyRelu',
    options: [{ name: 'negativeSlope', kind: 'number' }],
    create: (o) => new LeakyReLU(num(o, 'negativeSlope')),
    onnx: {
      emit: onnxNode('LeakyRelu', (m: LeakyReLU) => ({ alpha: float(m.negativeSlope) })),
      // ONNX's default alpha is 0.01.
      import: { op: 'LeakyRelu', create: (a) => new LeakyReLU(a.float('alpha', 0.01)) },
    },
    // Keras' LeakyReLU layer's default alpha is 0.3.
    kerasLayer: {
      classes: ['LeakyReLU'],
      create: (l) =>
        l.add(l.name, new LeakyReLU(kerasNumber(l.config, 'alpha', 0.3)), [l.inputs[0]!], l.inputs[0]!.rank),
    },
    // TensorFlow's LeakyRelu: `alpha` (default 0.2), `leakyrelu_alpha` when fused.
    tf: { op: 'LeakyRelu', create: (a) => new LeakyReLU(a.float('leakyrelu_alpha', a.float('alpha', 0.2))) },
  } satisfies ActivationRow<LeakyReLU>,
  {
    type: 'ELU',
    cls: ELU,
    op: 'elu',
    options: [{ name: 'alpha', kind: 'number' }],
    create: (o) => new ELU(num(o, 'alpha')),
    onnx: {
      emit: onnxNode('Elu', (m: ELU) => ({ alpha: float(m.alpha) })),
      // ONNX's default alpha is 1.
      import: { op: 'Elu', create: (a) => new ELU(a.float('alpha', 1)) },
    },
    keras: { names: ['elu'] },
    // Keras' ELU layer's default alpha is 1.
    kerasLayer: {
      classes: ['ELU'],
      create: (l) =>
        l.add(l.name, new ELU(kerasNumber(l.config, 'alpha', 1)), [l.inputs[0]!], l.inputs[0]!.rank),
    },
    // TensorFlow's Elu has no alpha: it is 1.
    tf: { op: 'Elu', create: () => new ELU(1) },
  } satisfies ActivationRow<ELU>,
  {
    type: 'CELU',
    cls: CELU,
    op: 'celu',
    options: [{ name: 'alpha', kind: 'number' }],
    create: (o) => new CELU(num(o, 'alpha')),
    onnx: {
      emit: onnxNode('Celu', (m: CELU) => ({ alpha: float(m.alpha) })),
      // ONNX's default alpha is 1 (Celu is in opset 12 and later).
      import: { op: 'Celu', create: (a) => new CELU(a.float('alpha', 1)) },
    },
  } satisfies ActivationRow<CELU>,
  {
    type: 'SELU',
    cls: SELU,
    op: 'selu',
    options: [],
    create: () => new SELU(),
    onnx: {
      emit: onnxNode('Selu'),
      import: {
        op: 'Selu',
        create: (a) =>
          Math.abs(a.float('alpha', SELU_ALPHA) - SELU_ALPHA) < 1e-6 &&
          Math.abs(a.float('gamma', SELU_GAMMA) - SELU_GAMMA) < 1e-6
            ? new SELU()
            : null,
      },
    },
    keras: { names: ['selu'] },
  },
  {
    type: 'GELU',
    cls: GELU,
    op: 'gelu',
    options: [{ name: 'approximate', kind: 'enum', values: ['none', 'tanh'] }],
    create: (o) => new GELU({ approximate: o.approximate as 'none' | 'tanh' | undefined }),
    onnx: { emit: gelu },
    keras: { names: ['gelu'] },
  } satisfies ActivationRow<GELU>,
  {
    type: 'Sigmoid',
    cls: Sigmoid,
    op: 'sigmoid',
    options: [],
    create: () => new Sigmoid(),
    onnx: { emit: onnxNode('Sigmoid'), import: { op: 'Sigmoid', create: () => new Sigmoid() } },
    keras: { names: ['sigmoid'] },
    tf: { op: 'Sigmoid', create: () => new Sigmoid() },
  },
  {
    type: 'Tanh',
    cls: Tanh,
    op: 'tanh',
    options: [],
    create: () => new Tanh(),
    onnx: { emit: onnxNode('Tanh'), import: { op: 'Tanh', create: () => new Tanh() } },
    keras: { names: ['tanh'] },
    tf: { op: 'Tanh', create: () => new Tanh() },
  },
  {
    type: 'ReLU6',
    cls: ReLU6,
    op: 'relu6',
    options: [],
    create: () => new ReLU6(),
    onnx: { emit: (_m, e) => clip(e, 0, 6) },
    keras: { names: ['relu6'] },
    tf: { op: 'Relu6', create: () => new ReLU6() },
  },
  {
    type: 'SiLU',
    cls: SiLU,
    op: 'silu',
    options: [],
    create: () => new SiLU(),
    onnx: { emit: (_m, e) => e.b.op('Mul', [e.x, e.b.op('Sigmoid', [e.x], {}, e.path)], {}, e.path) },
    keras: { names: ['swish', 'silu'] },
  },
  {
    type: 'Mish',
    cls: Mish,
    op: 'mish',
    options: [],
    create: () => new Mish(),
    onnx: {
      emit: (_m, e) =>
        e.b.op('Mul', [e.x, e.b.op('Tanh', [e.b.op('Softplus', [e.x], {}, e.path)], {}, e.path)], {}, e.path),
    },
  },
  {
    type: 'Softplus',
    cls: Softplus,
    op: 'softplus',
    options: [
      { name: 'beta', kind: 'number' },
      { name: 'threshold', kind: 'number' },
    ],
    create: (o) => new Softplus(num(o, 'beta'), num(o, 'threshold')),
    onnx: { emit: softplus, import: { op: 'Softplus', create: () => new Softplus() } },
    keras: { names: ['softplus'] },
  } satisfies ActivationRow<Softplus>,
  {
    type: 'Hardtanh',
    cls: Hardtanh,
    op: 'hardtanh',
    options: [
      { name: 'minVal', kind: 'number' },
      { name: 'maxVal', kind: 'number' },
    ],
    create: (o) => new Hardtanh(num(o, 'minVal'), num(o, 'maxVal')),
    onnx: { emit: (m, e) => clip(e, m.minVal, m.maxVal) },
  } satisfies ActivationRow<Hardtanh>,
  {
    type: 'Hardsigmoid',
    cls: Hardsigmoid,
    op: 'hardsigmoid',
    options: [],
    create: () => new Hardsigmoid(),
    onnx: {
      emit: onnxNode('HardSigmoid', () => HARD_SIGMOID),
      import: { op: 'HardSigmoid', create: (a) => (isTorchHardSigmoid(a) ? new Hardsigmoid() : null) },
    },
  },
  {
    type: 'Hardswish',
    cls: Hardswish,
    op: 'hardswish',
    options: [],
    create: () => new Hardswish(),
    onnx: {
      emit: (_m, e) => e.b.op('Mul', [e.x, e.b.op('HardSigmoid', [e.x], HARD_SIGMOID, e.path)], {}, e.path),
      import: { op: 'HardSwish', create: () => new Hardswish() },
    },
  },
  {
    type: 'Softmax',
    cls: Softmax,
    op: 'softmax',
    options: [{ name: 'dim', kind: 'optionalInt' }],
    create: (o) => new Softmax(num(o, 'dim')),
    onnx: {
      emit: (m, e) => e.b.op('Softmax', [e.x], { axis: softmaxAxis(m.dim, e.rank) }, e.path),
      // Before opset 13 ONNX's Softmax flattens to 2-D around the axis: only the per-axis form is a layer.
      import: { op: 'Softmax', create: (a, opset) => (opset >= 13 ? new Softmax(a.int('axis', -1)) : null) },
    },
    // TensorFlow's Softmax normalizes the last axis: the channels (1) of a feature map imported as NCHW.
    tfjsGraph: {
      ops: ['Softmax'],
      create: (n) => n.add(n.name, new Softmax(n.x.layout === 'nchw' ? 1 : -1), [n.x], n.x.rank, n.x.layout),
    },
    // Keras normalizes its last axis, the channels: dimension 1 once channels-first.
    keras: { names: ['softmax'], create: () => new Softmax(1) },
    // Keras' Softmax layer normalizes its (channels-last) axis, -1 by default.
    kerasLayer: {
      classes: ['Softmax'],
      create: (l) => {
        const x = l.inputs[0]!;
        return l.add(
          l.name,
          new Softmax(toChannelsFirst(kerasNumber(l.config, 'axis', -1), x.rank)),
          [x],
          x.rank,
        );
      },
    },
  } satisfies ActivationRow<Softmax>,
  {
    type: 'LogSoftmax',
    cls: LogSoftmax,
    op: 'logSoftmax',
    options: [{ name: 'dim', kind: 'optionalInt' }],
    create: (o) => new LogSoftmax(num(o, 'dim')),
    onnx: {
      emit: (m, e) => e.b.op('LogSoftmax', [e.x], { axis: softmaxAxis(m.dim, e.rank) }, e.path),
      import: {
        op: 'LogSoftmax',
        create: (a, opset) => (opset >= 13 ? new LogSoftmax(a.int('axis', -1)) : null),
      },
    },
  } satisfies ActivationRow<LogSoftmax>,
  {
    type: 'Softsign',
    cls: Softsign,
    op: 'softsign',
    options: [],
    create: () => new Softsign(),
    onnx: { emit: onnxNode('Softsign'), import: { op: 'Softsign', create: () => new Softsign() } },
    keras: { names: ['softsign'] },
    tf: { op: 'Softsign', create: () => new Softsign() },
  },
  {
    type: 'KerasHardSigmoid',
    cls: KerasHardSigmoid,
    options: [],
    create: () => new KerasHardSigmoid(),
    onnx: {
      // ONNX's HardSigmoid defaults are Keras' 0.2 and 0.5.
      emit: onnxNode('HardSigmoid', () => ({ alpha: float(0.2), beta: float(0.5) })),
      import: { op: 'HardSigmoid', create: (a) => (isKerasHardSigmoid(a) ? new KerasHardSigmoid() : null) },
    },
    // Python Keras writes 'hard_sigmoid', tfjs 'hardSigmoid'.
    keras: { names: ['hard_sigmoid', 'hardSigmoid'] },
  },
] as readonly ActivationRow[];

const byClass = new Map<abstract new (...args: never[]) => Module, ActivationRow>(
  ACTIVATIONS.map((r) => [r.cls, r]),
);
const byOp = new Map<string, ActivationRow>(ACTIVATIONS.flatMap((r) => (r.op ? [[r.op, r]] : [])));

/** The row of a layer's exact class, or undefined when it is not an activation. */
export function activationRowOf(layer: Module): ActivationRow | undefined {
  return byClass.get(layer.constructor as abstract new (...args: never[]) => Module);
}

/** The row whose layer records the functional op `op` (`'elu'`), or undefined. */
export function activationRowForOp(op: string): ActivationRow | undefined {
  return byOp.get(op);
}

/** The rows that import the ONNX operator `opType` (several when its attributes pick the layer). */
export function activationRowsForOnnx(opType: string): ActivationRow[] {
  return ACTIVATIONS.filter((r) => r.onnx.import?.op === opType);
}

/** The layer an ONNX activation node imports as, or null when no row expresses its attributes. */
export function onnxActivationLayer(opType: string, a: OnnxAttrs, opset: number): Module | null {
  for (const r of activationRowsForOnnx(opType)) {
    const layer = r.onnx.import!.create(a, opset);
    if (layer) return layer;
  }
  return null;
}

/** The layer for a Keras activation string, undefined for names no row maps. */
export function kerasActivationLayer(name: string): Module | undefined {
  const row = ACTIVATIONS.find((r) => r.keras?.names.includes(name));
  return row ? (row.keras?.create?.() ?? row.create({})) : undefined;
}

/** The layer for a TensorFlow graph op (`'Elu'`), or undefined for ops no row maps. */
export function tfActivationLayer(op: string, a: TfNumberAttrs): Module | undefined {
  return ACTIVATIONS.find((r) => r.tf?.op === op)?.tf?.create(a);
}

/** The ONNX operators that import as activation layers (they keep their input's rank and size). */
export const ACTIVATION_ONNX_OPS: readonly string[] = [
  ...new Set(ACTIVATIONS.flatMap((r) => (r.onnx.import ? [r.onnx.import.op] : []))),
];

/** The option values of `layer`, read from its fields (the names of `row.options`). */
export function activationOptions(row: ActivationRow, layer: Module): OptionValues {
  const fields = layer as unknown as Record<string, OptionValue>;
  return Object.fromEntries(row.options.map((o) => [o.name, fields[o.name]]));
}

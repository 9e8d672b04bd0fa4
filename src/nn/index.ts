/**
 * The module system and layers, grouped for `st.nn` (every name is also exported from the package
 * root): `Module`, `Parameter`, `Sequential`, `Graph` and the PyTorch-named layers.
 */
export {
  Module,
  type StateDict,
  type ForwardHook,
  type ForwardPreHook,
  type HookHandle,
  type LoadStateDictOptions,
  type LoadStateDictResult,
} from './module.js';
export { Parameter } from './parameter.js';
export { StateDictError, type ShapeMismatch } from './state-dict-error.js';
export type { NamePattern } from './name-pattern.js';
export { Sequential } from './sequential.js';
export { Graph, GraphNode, type GraphStep } from './graph.js';
export {
  Conv2d,
  Conv2dTranspose,
  ConvTranspose2d,
  DepthwiseSeparableConv2d,
  type Conv2dLayerOptions,
  type Conv2dTransposeLayerOptions,
  type DepthwiseSeparableConv2dOptions,
} from './conv.js';
export { Linear, Dense, type LinearOptions } from './linear.js';
export {
  MaxPool2d,
  AvgPool2d,
  AdaptiveAvgPool2d,
  AdaptiveMaxPool2d,
  GlobalAvgPool2d,
  GlobalMaxPool2d,
  ChannelMaxPool,
  MaxUnpool2d,
  type MaxPool2dLayerOptions,
  type AvgPool2dLayerOptions,
} from './pooling.js';
// Every activation layer (a new one in activation-layers.ts is exported with no edit here).
export * from './activation-layers.js';
export {
  BatchNorm2d,
  BatchNorm1d,
  LayerNorm,
  InstanceNorm2d,
  GroupNorm,
  LocalResponseNorm,
  type BatchNormLayerOptions,
  type LayerNormLayerOptions,
  type InstanceNormLayerOptions,
} from './normalization.js';
export { Dropout, Dropout2d } from './dropout.js';
export { Flatten, ZeroPad2d, Identity } from './reshape-layers.js';
export { Add, Concat, type AddOptions } from './merge.js';
export { fuseForInference, type FusionReport } from './fuse-for-inference.js';
export { Upsample } from './upsample.js';
export { LazyLayer, type ActivationName } from './keras-shorthand.js';

/**
 * The model zoo, grouped for `st.models`: one plain function per architecture, spelled as
 * torchvision spells it (`st.models.resnet18({numClasses: 10})`), each returning a Module whose
 * state-dict keys and parameter count equal torchvision's where torchvision has the model, and the
 * paper's otherwise. The classes behind them are exported for `instanceof` checks and subclassing.
 */
export { lenet5, LeNet5, type LeNet5Options } from './lenet.js';
export { alexnet, AlexNet, type AlexNetOptions } from './alexnet.js';
export { zfnet, ZFNet, type ZFNetOptions } from './zfnet.js';
export {
  vgg11,
  vgg11_bn,
  vgg13,
  vgg13_bn,
  vgg16,
  vgg16_bn,
  vgg19,
  vgg19_bn,
  VGG,
  type VggOptions,
} from './vgg.js';
export {
  googlenet,
  GoogLeNet,
  Inception,
  InceptionAux,
  BasicConv2d,
  type GoogLeNetOptions,
  type GoogLeNetOutputs,
} from './googlenet.js';
export {
  resnet18,
  resnet34,
  resnet50,
  resnet101,
  resnet152,
  wide_resnet50_2,
  resnext50_32x4d,
  ResNet,
  BasicBlock,
  Bottleneck,
  type ResNetOptions,
  type ResNetVariant,
  type ResNetConfig,
  type BlockConfig,
  type BlockType,
} from './resnet.js';
export { se_resnet50, SqueezeExcitation } from './senet.js';
export {
  mobilenet_v1,
  mobilenet_v2,
  MobileNetV1,
  MobileNetV2,
  InvertedResidual,
  makeDivisible,
  type MobileNetOptions,
} from './mobilenet.js';
export {
  densenet121,
  densenet169,
  DenseNet,
  DenseBlock,
  DenseLayer,
  Transition,
  type DenseNetOptions,
} from './densenet.js';
export { squeezenet1_0, squeezenet1_1, SqueezeNet, Fire, type SqueezeNetOptions } from './squeezenet.js';
export { convnetjs_cifar10, ConvNetJSCifar10 } from './convnetjs-cifar.js';
// Segmentation models and the MobileNetV3 classifiers behind LR-ASPP.
export {
  mobilenet_v3_large,
  mobilenet_v3_small,
  MobileNetV3,
  MobileNetV3Block,
  mobileNetV3Features,
  type MobileNetV3Arch,
  type MobileNetV3BlockConfig,
} from './mobilenet-v3.js';
export { SegmentationModel, tapFeatures } from './segmentation-model.js';
export {
  fcn_resnet50,
  fcn8s,
  FCNHead,
  FCN8sHead,
  type SegmentationZooOptions,
  type Fcn8sOptions,
} from './fcn.js';
export { deeplabv3_resnet50, DeepLabHead, ASPP, ASPPPooling, ParallelConcat } from './deeplabv3.js';
export { lraspp_mobilenet_v3_large, LRASPPHead } from './lraspp.js';
export { unet, buildUNet, type UNetOptions } from './unet.js';
export type { ZooOptions } from './zoo-options.js';
export { setDefaultInputShape, getDefaultInputShape } from '../nn/default-input.js';
export { listModels, getModel, modelNames, type ModelInfo, type ModelFactory } from './registry.js';

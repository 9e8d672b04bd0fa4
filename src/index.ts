/**
 * Stride: convolutional neural networks in TypeScript.
 *
 * `import * as st from 'stride'` gives tensors, autograd and the functional CNN ops.
 */
export { Tensor, type NestedArray } from './tensor/tensor.js';
export type { DType, FloatArray } from './tensor/dtype.js';
export {
  tensor,
  fromArray,
  zeros,
  ones,
  full,
  zerosLike,
  onesLike,
  scalar,
  arange,
  linspace,
  eye,
  randn,
  rand,
  randint,
  type CreateOptions,
  type RandomOptions,
} from './tensor/creation.js';
export { Rng, manualSeed, defaultRng } from './tensor/random.js';
export { StrideError, ShapeError, DTypeError, ValueError, AutogradError } from './errors.js';
export { noGrad, enableGrad, isGradEnabled } from './autograd/grad-mode.js';
export { gradcheck, type GradcheckOptions } from './autograd/gradcheck.js';
export type { GradFn } from './autograd/grad-fn.js';
export type { BackwardOptions } from './autograd/backward.js';
export {
  freeGradientBuffers,
  gradientPoolStats,
  type GradientPoolStats,
} from './tensor/gradient-buffer-pool.js';
export {
  freeInferenceBuffers,
  inferenceBufferStats,
  type InferenceBufferStats,
} from './tensor/inference-buffer-pool.js';
export { backend, setBackend, listBackends, registerBackend, withBackend } from './backend/registry.js';
export {
  initWasmBackend,
  wasmAvailable,
  wasmThreads,
  type WasmBackendOptions,
  type WasmSource,
} from './backend/wasm/load-wasm.js';
export type {
  Backend,
  Conv2dParams,
  Pool2dParams,
  GemmParams,
  UnaryOp,
  BinaryOp,
  ReduceOp,
} from './backend/backend.js';
export {
  add,
  sub,
  mul,
  div,
  pow,
  neg,
  exp,
  log,
  sqrt,
  abs,
  square,
  clamp,
  maximum,
  minimum,
  where,
  eq,
  gt,
  ge,
  lt,
  le,
  relu,
  sigmoid,
  tanh,
} from './ops/elementwise.js';
export {
  sum,
  mean,
  max,
  min,
  argmax,
  argmin,
  maxWithIndices,
  minWithIndices,
  variance as var,
  std,
} from './ops/reduce.js';
export {
  reshape,
  flatten,
  permute,
  transpose,
  squeeze,
  unsqueeze,
  expand,
  slice,
  narrow,
  concat,
  stack,
  split,
  pad,
} from './ops/shape-ops.js';
export { matmul, type MatmulOptions } from './ops/matmul.js';
export {
  maxPool2d,
  avgPool2d,
  type MaxPool2dOptions,
  type AvgPool2dOptions,
  type MaxPool2dResult,
} from './ops/pool2d.js';
export {
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  globalAvgPool2d,
  globalMaxPool2d,
  type AdaptiveOutputSize,
  type AdaptiveMaxPool2dOptions,
} from './ops/adaptive-pool.js';
export { maxPoolChannels, type MaxPoolChannelsOptions } from './ops/channel-max-pool.js';
export { maxUnpool2d, type MaxUnpool2dOptions } from './ops/max-unpool.js';
export { upsample, type UpsampleOptions, type UpsampleMode } from './ops/upsample.js';
export { conv2d } from './ops/conv2d.js';
export { FUSED_ACTIVATIONS, type FusedActivation } from './ops/fused-activation.js';
export { conv2dTranspose } from './ops/conv2d-transpose.js';
export {
  conv2dOutputShape,
  conv2dTransposeOutputShape,
  convOutputSize,
  convTransposeOutputSize,
  type Conv2dOptions,
  type Conv2dTransposeOptions,
  type Conv2dOutputInfo,
} from './ops/conv-params.js';
export {
  accuracy,
  topKAccuracy,
  confusionMatrix,
  classificationReport,
  meanSquaredError,
  meanAbsoluteError,
  type ConfusionMatrix,
  type ClassificationReport,
} from './train/metrics.js';
export { formatTable, formatConfusionMatrix, formatClassificationReport } from './train/metrics-table.js';
export { batchNorm, type BatchNormOptions } from './ops/batch-norm.js';
export { layerNorm, type LayerNormOptions } from './ops/layer-norm.js';
export { instanceNorm, type InstanceNormOptions } from './ops/instance-norm.js';
export { groupNorm, type GroupNormOptions } from './ops/group-norm.js';
export { localResponseNorm, type LocalResponseNormOptions } from './ops/local-response-norm.js';
// Every functional activation (a new one in ops/activation.ts is exported with no edit here).
export * from './ops/activation.js';
export { softmax, logSoftmax, logSumExp } from './ops/softmax.js';
export { dropout, dropout2d, type DropoutOptions } from './ops/dropout.js';
export { linear } from './ops/linear.js';
export {
  crossEntropy,
  nllLoss,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  mseLoss,
  l1Loss,
  smoothL1Loss,
  huberLoss,
  type Reduction,
  type LossOptions,
  type CrossEntropyOptions,
  type NllLossOptions,
  type BinaryCrossEntropyOptions,
  type BinaryCrossEntropyWithLogitsOptions,
  type SmoothL1LossOptions,
  type HuberLossOptions,
} from './ops/loss.js';
// Segmentation: losses and pixel metrics.
export { diceLoss, type DiceLossOptions } from './ops/dice-loss.js';
export { focalLoss, type FocalLossOptions } from './ops/focal-loss.js';
export {
  pixelConfusionMatrix,
  segmentationScores,
  meanIoU,
  type PixelMetricOptions,
  type SegmentationScores,
} from './segmentation/metrics.js';
export {
  SegmentationDataset,
  type SegmentationDatasetInit,
  type SegmentationBatch,
  type SegmentationBatchOptions,
} from './segmentation/segmentation-dataset.js';
export { canvasSegmentation } from './segmentation/digit-canvas.js';
export { labelMask, resizeLabelMask, classPixelCounts, type LabelMask } from './segmentation/label-mask.js';
export {
  pairTransforms,
  pairedHorizontalFlip,
  pairedVerticalFlip,
  pairedRandomCrop,
  pairedRandomAffine,
  composePaired,
  type PairedTransform,
  type ImageMaskPair,
  type MaskFillOption,
} from './segmentation/paired-augment.js';
export {
  fitSegmentation,
  evaluateSegmentation,
  segmentationLoss,
  type FitSegmentationOptions,
  type SegmentationLoss,
} from './segmentation/fit-segmentation.js';
export {
  TensorDataset,
  Subset,
  labelsOf,
  type Dataset,
  type Sample,
  type TensorDatasetInit,
} from './data/dataset.js';
export { DataFileError } from './data/data-file-error.js';
export { DataLoader, type DataLoaderOptions, type Batch } from './data/loader.js';
export { randomSplit, trainValidationSplit, type SplitOptions } from './data/split.js';
export { channelMeanStd, normalize, normalizeDataset, type ChannelStats } from './data/normalize.js';
export { parseCsv, type CsvOptions } from './data/csv-parse.js';
export { compose, randomApply, type Transform } from './data/augment/transform.js';
export {
  transformFromSpecs,
  TRANSFORM_SPEC_NAMES,
  type TransformSpec,
} from './data/augment/transform-spec.js';
export { isAsyncDataset, type AsyncDataset, type BadImagePolicy } from './data/async-dataset.js';
export {
  hflip,
  vflip,
  randomHorizontalFlip,
  randomVerticalFlip,
  type FlipOptions,
} from './data/augment/flip.js';
export { resizeImage, type ImageSize } from './data/augment/resize.js';
export {
  padImage,
  cropImage,
  centerCrop,
  randomCrop,
  randomResizedCrop,
  type PaddingMode,
  type ImagePadding,
  type RandomCropOptions,
  type RandomResizedCropOptions,
} from './data/augment/crop.js';
export {
  warpAffine,
  affineMatrix,
  affineImage,
  rotateImage,
  randomAffine,
  randomRotation,
  randomTranslation,
  type AffineMatrix,
  type AffineParams,
  type Interpolation,
  type WarpOptions,
  type RandomAffineOptions,
} from './data/augment/affine.js';
export {
  adjustBrightness,
  adjustContrast,
  adjustSaturation,
  adjustHue,
  colorJitter,
  colorShift,
  type ColorJitterOptions,
  type ColorShiftOptions,
} from './data/augment/color.js';
export { randomErasing, type RandomErasingOptions } from './data/augment/erasing.js';
export * as optim from './optim/index.js';
export {
  Optimizer,
  SGD,
  RMSprop,
  Adam,
  AdamW,
  Adagrad,
  Adadelta,
  LBFGS,
  clipGradNorm,
  clipGradValue,
  l1Penalty,
  l2Penalty,
  lrScheduler,
  type ParamGroup,
  type ParamGroupInput,
  type ParamsInput,
  type OptimizerStateDict,
} from './optim/index.js';
export * as nn from './nn/index.js';
export * from './nn/index.js';
export * as layers from './nn/keras-shorthand.js';
export * as init from './nn/init.js';
export { ModelFileError } from './io/model-file-error.js';
export {
  encodeSafetensors,
  decodeSafetensors,
  readSafetensorsHeader,
  SAFETENSORS_MAX_HEADER_BYTES,
  type SafetensorsDType,
  type SafetensorsTensorInfo,
  type SafetensorsHeader,
  type DecodeSafetensorsOptions,
  type DecodedSafetensors,
  type EncodeSafetensorsOptions,
} from './io/safetensors.js';
import './train/module-training.js';
export {
  fit,
  evaluate,
  predict,
  type FitOptions,
  type EvaluateOptions,
  type History,
  type TrainData,
} from './train/fit.js';
export type { Callback, Logs, TrainingContext, MonitorMode } from './train/callback.js';
export { EarlyStopping, type EarlyStoppingOptions } from './train/early-stopping.js';
export { ModelCheckpoint, type ModelCheckpointOptions, type ModelSaver } from './train/model-checkpoint.js';
export { LearningRateScheduler, type LearningRateSchedulerOptions } from './train/lr-scheduler-callback.js';
export { ProgressBar, type ProgressSink } from './train/progress.js';
export type { LossSpec, LossFn } from './train/loss-spec.js';
export type { MetricSpec, MetricFn } from './train/metric-spec.js';
export {
  registerLayer,
  registeredLayerTypes,
  layerToSpec,
  layerFromSpec,
  specStateSize,
  type LayerSpec,
  type LayerSerializer,
  type SpecContext,
  type BuildContext,
  type LayerFromSpecOptions,
} from './io/layer-registry.js';
export { ConfigReader } from './io/config-reader.js';
export type { JsonValue, JsonObject } from './io/json-value.js';
export {
  encodeModel,
  decodeModel,
  encodeModelFile,
  decodeModelFile,
  modelConfig,
  parseModelConfig,
  assembleModel,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type Architecture,
  type ModelConfig,
  type ModelFiles,
  type SaveModelOptions,
  type LoadModelOptions,
  type LoadedModel,
  type ZooBuilder,
  type OptimizerLike,
} from './io/model-format.js';
export {
  encodeOptimizerState,
  decodeOptimizerState,
  type SavedOptimizerState,
} from './io/optimizer-state.js';

export * as models from './models/index.js';
export {
  listModels,
  getModel,
  modelNames,
  setDefaultInputShape,
  getDefaultInputShape,
  type ModelInfo,
  type ModelFactory,
  type ZooOptions,
} from './models/index.js';
export {
  summary,
  type ModelSummary,
  type LayerSummary,
  type SummaryOptions,
  type TrainingMemoryEstimate,
  type NotRunModule,
} from './inspect/summary.js';
export {
  formatSummary,
  summaryJson,
  formatBytes,
  formatCount,
  formatShort,
  type FormatSummaryOptions,
} from './inspect/format-summary.js';
export {
  receptiveField,
  ReceptiveFieldAnalyzer,
  type ReceptiveField,
  type ReceptiveFieldOptions,
} from './inspect/receptive-field.js';
export { countMacs, type MacCount, type LayerMacs } from './inspect/flops.js';
export {
  traceForward,
  smallestSquareInput,
  type ForwardTrace,
  type ModuleCall,
  type TraceOptions,
  type TraceMode,
} from './inspect/trace.js';
export { tracingBackend, convMacs, type KernelEvent } from './inspect/tracing-backend.js';
export {
  decodeOnnxModel,
  encodeOnnxModel,
  decodeOnnxTensor,
  encodeOnnxTensor,
  OnnxDataType,
  OnnxAttributeType,
  type OnnxModel,
  type OnnxGraph,
  type OnnxNode,
  type OnnxTensor,
  type OnnxAttribute,
  type OnnxAttributeValue,
  type OnnxValueInfo,
  type OnnxOpsetImport,
} from './io/onnx/onnx-proto.js';
export { importOnnx, type ImportOnnxOptions } from './io/onnx/import-onnx.js';
export { OnnxOp, type OnnxSlot, type OnnxConstant } from './io/onnx/onnx-op-layer.js';
export { ONNX_KERNELS, isSupportedOnnxOp, type OnnxKernel } from './io/onnx/onnx-ops.js';
export { OnnxAttrs } from './io/onnx/onnx-attributes.js';
export { onnxResize, type OnnxResizeOptions, type OnnxResizeMode } from './io/onnx/onnx-resize.js';
export { DEFAULT_ONNX_OPSET, exportOnnx, type ExportOnnxOptions } from './io/onnx/export-onnx.js';
export {
  registerOnnxExporter,
  onnxExporterOf,
  type LayerExporter,
  type LayerExportContext,
} from './io/onnx/export-layers.js';
export { OnnxBuilder, type AttrInput } from './io/onnx/onnx-builder.js';
export { iou, boxIou, boxArea, type Box } from './vision/iou.js';
export { nms, type NmsOptions } from './vision/nms.js';
// ---- detection (issue 13) ----
export { generalizedIou, generalizedBoxIou } from './vision/iou.js';
export { batchedNms, softNms, type SoftNmsOptions } from './vision/nms.js';
export { roiAlign, type RoiAlignOptions, type RoiOptions } from './vision/roi-align.js';
export { roiPool } from './vision/roi-pool.js';
export type { RoiBoxes } from './vision/roi-boxes.js';
export type { RoiParams } from './backend/backend.js';
export {
  generalizedBoxIouLoss,
  distanceBoxIouLoss,
  completeBoxIouLoss,
  type BoxIouLossOptions,
} from './vision/box-iou-loss.js';
export { generateAnchors, baseAnchors, type AnchorOptions } from './detection/anchors.js';
export {
  encodeBoxes,
  decodeBoxes,
  decodeYolo,
  SSD_VARIANCES,
  type Detections,
  type YoloDecodeOptions,
} from './detection/box-coder.js';
export { kmeansAnchors, shapeIou, type KmeansAnchorOptions } from './detection/kmeans-anchors.js';
export {
  evaluateDetections,
  cocoMap,
  vocAp,
  cocoAp,
  type GroundTruth,
  type PrCurve,
  type EvaluateDetectionsOptions,
  type DetectionEvaluation,
} from './detection/average-precision.js';
export { prCurveSvg, type PrCurveSvgOptions } from './detection/pr-curve-svg.js';
export {
  TinyFaceDetector,
  tinyFaceDetectorFromTfjs,
  TINY_FACE_ANCHORS,
  TINY_FACE_MEAN_RGB,
  type TinyFaceDetectOptions,
} from './detection/tiny-face-detector.js';
export {
  CenterNetDetector,
  centerNetPeaks,
  CENTERNET_OUTPUTS,
  type CenterNetDetectOptions,
} from './detection/centernet.js';
export { COCO_CLASSES } from './detection/coco-classes.js';
export type { Detector, DetectOptions } from './detection/detector.js';
export {
  yoloTiny,
  yoloHeadChannels,
  yoloV1Loss,
  yoloV2Loss,
  decodeYoloV1,
  type YoloTarget,
  type YoloTinyOptions,
  type YoloLossOptions,
  type YoloV2LossOptions,
} from './detection/yolo.js';
export {
  digitCanvases,
  canvasBatch,
  type DetectionSample,
  type DigitCanvasOptions,
} from './data/digit-canvas.js';
export {
  SsdMobilenetFaceDetector,
  ssdMobilenetFaceFromTfjs,
  type SsdFaceDetectOptions,
} from './detection/ssd-mobilenet-face.js';
// ---- end detection ----
export {
  importTfjs,
  tfjsModelFormat,
  tfjsWeightGroups,
  type ImportTfjsOptions,
  type TfjsModelFormat,
} from './io/tfjs/import-tfjs.js';
export { importKerasModel } from './io/tfjs/import-keras.js';
export { importTfjsGraphModel } from './io/tfjs/import-tfjs-graph.js';
export {
  decodeTfjsWeights,
  parseWeightsManifest,
  findWeight,
  type TfjsWeightSpec,
  type TfjsWeightGroup,
} from './io/tfjs/tfjs-weights.js';
export { ChannelsLastReshape } from './io/channels-last-reshape.js';
export { GraphOp, type GraphOpKind, type GraphOpOperand, type GraphOpOptions } from './io/graph-op.js';
export {
  modelCard,
  setModelCard,
  type ModelCard,
  type Preprocessing,
  type ModelTask,
  type ColorOrder,
  type ImageFit,
} from './nn/model-card.js';
export type { RawImage } from './image/raw-image.js';
export { imageToTensor, type ImageToTensorOptions } from './image/image-to-tensor.js';
export { tensorToImage, type TensorToImageOptions } from './image/tensor-to-image.js';
export type { ReadImageOptions } from './image/read-image-options.js';
export { IMAGE_FILE_PROBLEMS } from './image/image-file-problems.js';
export { ImageFileError } from './image/image-file-error.js';
export { ImageFolderError, type BadImage } from './data/image-folder-error.js';
export { setImageReader, type ImageReader } from './image/image-reader.js';
export {
  preprocess,
  preprocessImage,
  resolvePreprocessing,
  type ImageInput,
  type ResolvedPreprocessing,
} from './image/preprocess.js';
import './inspect/module-summary.js';
// Neural style transfer (Gatys et al.): Gram matrices and the content, style and total-variation losses.
export { gramMatrix, type GramMatrixOptions } from './style/gram-matrix.js';
export {
  contentLoss,
  styleLoss,
  totalVariationLoss,
  type TotalVariationOptions,
} from './style/style-losses.js';
export { featureExtractor } from './style/feature-extractor.js';
export {
  STYLE_TRANSFER_DEFAULTS,
  styleTransfer,
  type StyleTransferOptions,
  type StyleTransferResult,
  type StyleTransferStep,
  type StyleTransferWeights,
} from './style/style-transfer.js';
// Metric learning: Siamese/triplet losses, online triplet mining.
export { pairwiseDistances, type PairwiseDistanceOptions } from './metric/pairwise-distances.js';
export {
  contrastiveLoss,
  contrastiveLossFromDistances,
  type ContrastiveLossOptions,
} from './metric/contrastive-loss.js';
export { tripletMarginLoss, type TripletMarginLossOptions } from './metric/triplet-loss.js';
export {
  batchAllTripletLoss,
  batchHardTripletLoss,
  semiHardTripletLoss,
  tripletMiningLoss,
  type TripletMining,
  type TripletMiningOptions,
  type LabelsInput,
} from './metric/triplet-mining.js';
export { trainEmbedding, embedDataset, type TrainEmbeddingOptions } from './metric/train-embedding.js';
export {
  rocCurve,
  bestThreshold,
  verificationAccuracy,
  knnAccuracy,
  type RocCurve,
} from './metric/verification.js';
// face-api's networks as Stride graphs (weights from its TF.js manifests).
export { ssdFaceDetector, SSD_FACE_INPUT_SIZE, type SsdFaceDetectorNet } from './models/face-detector-ssd.js';
export { faceLandmarkNet, FACE_LANDMARK_INPUT_SIZE } from './models/face-landmark-net.js';

// st.viz: filters, activations, saliency, Grad-CAM, activation maximization, deep dream, edges, charts.
export * as viz from './viz/index.js';
export { faceRecognitionNetFromTfjs } from './io/tfjs/face-recognition-weights.js';
export {
  faceRecognitionNet,
  FaceNormalize,
  ZeroPadChannels,
  FACE_RECOGNITION_INPUT_SIZE,
} from './models/face-recognition-net.js';
// Transfer learning: unfreeze the top blocks of a backbone, discriminative learning rates per block.
export { unfreezeTopBlocks, discriminativeParamGroups } from './pretrained/fine-tune.js';
export type { BackboneBlock, PretrainedEntry } from './pretrained/pretrained-catalog.js';

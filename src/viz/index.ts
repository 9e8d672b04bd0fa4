/**
 * `st.viz`: seeing inside a network. Every function returns tensors (images [C, H, W] or maps
 * [N, 1, H, W] with values in [0, 1]) or SVG text, so it runs anywhere; the Node entry adds PNG
 * and chart files (`savePng`, `saveChart`, `writeTrainingPlots`).
 */
export { filters } from './filters.js';
export { activations, type ActivationsOptions, type LayerActivations } from './activations.js';
export { saliency, type SaliencyOptions, type SmoothGradOptions } from './saliency.js';
export { gradCam, gradCamPlusPlus, scaleEachToUnit, type GradCamOptions } from './grad-cam.js';
export { occlusion, type OcclusionOptions } from './occlusion.js';
export { maximize, type MaximizeOptions, type MaximizeResult } from './maximize.js';
export { DEEP_DREAM_DEFAULTS, deepDream, type DeepDreamOptions } from './deep-dream.js';
export { edges, EDGE_ANGLES, EDGE_KERNELS, type EdgeMaps } from './edges.js';
export { colormap, colorAt, type ColormapName } from './colormap.js';
export { overlayHeatmap, type OverlayOptions } from './overlay.js';
export { tileGrid, type TileGridOptions } from './tile-grid.js';
export { gaussianBlur, rollImage, resizeBilinear } from './image-ops.js';
export { findLayer } from './find-layer.js';
export { captureOutputs, type CaptureOptions } from './capture-outputs.js';
export { resolveTarget, type ClassTarget } from './class-target.js';
export { historyChart, type HistoryChartOptions } from './history-chart.js';
export { confusionChart, type ConfusionChartOptions } from './confusion-chart.js';
export { parseTrainingLog, formatTrainingLog } from './training-log.js';
export { ChannelScores } from './channel-scores.js';

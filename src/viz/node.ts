/** `st.viz` under Node: the portable functions plus PNG, chart and training-plot files (sharp). */
export * from './index.js';
export { imageToPng, savePng, saveChart, type PngOptions } from './png-node.js';
export {
  writeTrainingPlots,
  readTrainingLog,
  readConfusionJson,
  type TrainingPlotsOptions,
} from './training-plots-node.js';

import type { AsyncDataset } from '../data/async-dataset.js';
import { DataLoader } from '../data/loader.js';
import { Subset, type Dataset, type Sample } from '../data/dataset.js';
import { setModelCard, type ModelCard, type Preprocessing } from '../nn/model-card.js';
import type { Module } from '../nn/module.js';
import type { TrainData } from './fit.js';

/** What a dataset may know about its items (a `TensorDataset` knows both). */
interface Described {
  classNames?: readonly string[] | undefined;
  preprocessing?: Preprocessing | undefined;
}

/** The dataset under loaders and subsets. */
function baseDataset(data: TrainData): Dataset<Sample> | AsyncDataset {
  let d = data instanceof DataLoader ? data.dataset : data;
  while (d instanceof Subset) d = d.dataset as Dataset<Sample>;
  return d;
}

/**
 * Record on `model` what its training data knows and the model does not yet: the class names,
 * the image preprocessing (size, channels, scale, mean/std), and `task: 'classification'` when
 * trained with cross-entropy on named classes. Fields already set on the model are kept.
 */
export function recordModelCard(model: Module, data: TrainData, loss: unknown): void {
  const d = baseDataset(data) as Described;
  const card: ModelCard = {};
  if (model.classNames === undefined && d.classNames && d.classNames.length > 0)
    card.classNames = d.classNames;
  if (model.preprocessing === undefined && d.preprocessing) card.preprocessing = d.preprocessing;
  if (model.task === undefined && loss === 'crossEntropy' && (card.classNames ?? model.classNames))
    card.task = 'classification';
  if (Object.keys(card).length > 0) setModelCard(model, card);
}

// The few-label Fashion-MNIST selection the transfer-learning results share: the first 100
// training images of each class, 80 per class to fit and 20 per class for validation.
// Used by transfer-fashion-mnist.ts and transfer-inception-fashion-mnist.ts, so both train and
// choose on exactly the same images.
import * as st from '../../src/node.js';

/** Labelled training images per class. */
export const PER_CLASS = 100;
/** Of those, the ones per class kept for validation (the rest are fit on). */
export const VAL_PER_CLASS = 20;

/** The few-label training set and its fit / validation rows. */
export interface FewLabelSplit {
  /** The first PER_CLASS training images of each class, in training-split order (1000 images). */
  train: st.TensorDataset;
  /** Rows of `train` to fit on (the first PER_CLASS - VAL_PER_CLASS of each class). */
  fitRows: number[];
  /** Rows of `train` for validation (the last VAL_PER_CLASS of each class). */
  valRows: number[];
}

/** The rows `idx` of a data set, as a new data set. */
export function subset(ds: st.TensorDataset, idx: readonly number[]): st.TensorDataset {
  const data = new Float32Array(idx.length * ds.sampleSize);
  idx.forEach((i, k) =>
    data.set(ds.data.subarray(i * ds.sampleSize, (i + 1) * ds.sampleSize), k * ds.sampleSize),
  );
  return new st.TensorDataset({
    data,
    labels: Int32Array.from(idx, (i) => ds.labels[i]!),
    sampleShape: ds.sampleShape,
  });
}

/** Fashion-MNIST's training split scanned in order for the first PER_CLASS images of each class. */
export function fewLabelSplit(): FewLabelSplit {
  const all = st.loadFashionMnist({ split: 'train', limit: 5000 });
  const picked: number[] = [];
  const fitRows: number[] = [];
  const valRows: number[] = [];
  const counts = new Array<number>(10).fill(0);
  all.labels.forEach((y, i) => {
    if (counts[y]! < PER_CLASS) {
      (counts[y]! < PER_CLASS - VAL_PER_CLASS ? fitRows : valRows).push(picked.length);
      counts[y]! += 1;
      picked.push(i);
    }
  });
  return { train: subset(all, picked), fitRows, valRows };
}

/** Fashion-MNIST's full 10,000-image test split (its first 400 with `smoke`, for a check run). */
export const fullTestSplit = (smoke: boolean): st.TensorDataset =>
  st.loadFashionMnist({ split: 'test', ...(smoke ? { limit: 400 } : {}) });

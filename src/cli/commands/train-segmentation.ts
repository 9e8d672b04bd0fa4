import { join } from 'node:path';
import * as st from '../../node.js';
import { UsageError } from '../args.js';

/** Canvas size and U-Net shape `stride train unet --dataset mnist-segmentation` uses. */
const CANVAS = 48;
const UNET = { depth: 3, baseChannels: 8 } as const;
/** Canvases trained and evaluated on when --train-limit / --test-limit are not given (the help shows these). */
export const SEGMENTATION_CANVASES = { train: 2000, test: 500 } as const;

/**
 * `stride train <model> --dataset mnist-segmentation`: a segmentation model (by default the
 * U-Net `unet({ depth: 3, baseChannels: 8 })`) trained on MNIST digits pasted on 48x48 canvases
 * (11 classes), evaluated on canvases of MNIST's test digits (pixel accuracy, per-class and mean
 * IoU), saved as a Stride checkpoint that `stride segment` reads.
 */
export async function trainSegmentation(
  modelName: string,
  options: Readonly<Record<string, unknown>>,
): Promise<void> {
  const epochs = options['epochs'] as number;
  const batchSize = options['batch-size'] as number;
  const lr = options['lr'] as number;
  const seed = options['seed'] as number;
  const trainCount = (options['train-limit'] as number | undefined) ?? SEGMENTATION_CANVASES.train;
  const testCount = (options['test-limit'] as number | undefined) ?? SEGMENTATION_CANVASES.test;
  const outDir = (options['out'] as string | undefined) ?? join('runs', `${modelName}-mnist-segmentation`);
  if (epochs < 1) throw new UsageError('--epochs must be at least 1');
  if (batchSize < 1) throw new UsageError('--batch-size must be at least 1');
  if (!(lr > 0)) throw new UsageError('--lr must be positive');
  if (trainCount < 1 || testCount < 1)
    throw new UsageError('--train-limit and --test-limit must be at least 1');

  st.manualSeed(seed);
  const train = st.loadMnistSegmentation({ split: 'train', count: trainCount, canvasSize: CANVAS });
  const test = st.loadMnistSegmentation({ split: 'test', count: testCount, canvasSize: CANVAS });
  const numClasses = train.dataset.numClasses;
  const model =
    modelName === 'unet'
      ? st.models.unet({ inChannels: 1, numClasses, ...UNET })
      : st.getModel(modelName, { numClasses, inChannels: 1 });
  console.log(
    `${modelName} on mnist-segmentation: ${train.dataset.length} training / ${test.dataset.length} test canvases of ` +
      `${CANVAS}x${CANVAS}, ${numClasses} classes (background, digits 0-9); ${model.numParameters()} parameters; backend ${st.backend()}`,
  );
  const t0 = performance.now();
  st.fitSegmentation(model, train.dataset, {
    epochs,
    batchSize,
    lr,
    seed,
    // The background is ~93% of the pixels; weighting it down makes the digits' identity worth learning.
    classWeights: [0.1, ...new Array<number>(numClasses - 1).fill(1)],
    onEpoch: (e, loss, s) => console.log(`epoch ${e}/${epochs}: loss ${loss.toFixed(4)} (${s.toFixed(1)} s)`),
  });
  const seconds = (performance.now() - t0) / 1000;
  const { scores } = st.evaluateSegmentation(model, test.dataset);
  const path = join(outDir, 'model');
  st.save(model, path);
  const names = train.dataset.classNames!;
  console.log(
    `training time: ${seconds.toFixed(1)} s (${((epochs * trainCount) / seconds).toFixed(1)} canvases/s)`,
  );
  console.log('IoU per class on the test canvases:');
  console.log(
    names
      .map((n, c) => `  ${n.padEnd(10)} ${Number.isNaN(scores.iou[c]) ? '   -' : scores.iou[c]!.toFixed(3)}`)
      .join('\n'),
  );
  console.log(`pixel accuracy: ${(scores.pixelAccuracy * 100).toFixed(2)}%`);
  console.log(`checkpoint: ${path}`);
  console.log(`test mean IoU: ${scores.meanIoU.toFixed(4)}`);
}

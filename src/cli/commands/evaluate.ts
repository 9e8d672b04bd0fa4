import * as st from '../../node.js';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from '../args.js';
import { applyRuntimeOptions, runtimeOptions } from '../runtime-options.js';
import { classReport, formatClassReport } from './class-report.js';
import { DATASET_NAMES, isDatasetName, loadLabelledImages, namedDatasetOptions } from './image-data.js';
import { inferenceModelFromArg } from './model-source.js';

const specs = {
  data: {
    type: 'string',
    valueName: 'FOLDER|mnist|fashion-mnist',
    help: `labelled images: a folder with one sub-folder of images per class, or ${DATASET_NAMES.join(' / ')} (their test split)`,
  },
  json: {
    type: 'boolean',
    help: 'print JSON: { accuracy, images, classNames, perClass, macro, confusionMatrix }',
  },
  'test-limit': namedDatasetOptions['test-limit'],
  'fashion-mnist-path': namedDatasetOptions['fashion-mnist-path'],
  ...runtimeOptions,
} satisfies Record<string, OptionSpec>;

/** Help of `stride evaluate`. */
export const evaluateHelp = `stride evaluate <model> --data <folder|${DATASET_NAMES.join('|')}> [options]

Score a model on labelled images: accuracy, precision/recall/F1 per class and the confusion
matrix. Images are prepared the way the model records (size, channels, mean/std); a folder's
class sub-folders are matched to the model's class names, so a test folder may hold fewer classes
than the model knows.

  <model>  a run directory of 'stride train', a saved Stride model, an ONNX file, a TF.js
           model.json, or a zoo name (untrained: its answers are random)

${formatOptions(specs)}`;

/**
 * The images of `data` prepared for `model` and labelled with the model's class indices: folder
 * classes are looked up by name among the model's classes when it has names.
 */
async function evaluationSet(
  model: st.Module,
  data: string,
  opts: { testLimit?: number | undefined; fashionMnistPath?: string | undefined },
): Promise<{ dataset: st.TensorDataset; classNames: string[] }> {
  const pre = st.resolvePreprocessing(model);
  const size = pre.size?.[0];
  if (!isDatasetName(data) && size === undefined) {
    throw new UsageError(
      'the model records no input size, so the folder images cannot be resized for it; save it with its preprocessing (stride train does)',
    );
  }
  const images = await loadLabelledImages(data, {
    size: size ?? 0,
    channels: pre.channels === 1 ? 'gray' : 'rgb',
    splits: ['test'],
    testLimit: opts.testLimit,
    fashionMnistPath: opts.fashionMnistPath,
  });
  const raw = images.test ?? images.train;
  const folderNames = raw.classNames ? [...raw.classNames] : Array.from({ length: raw.numClasses }, String);
  const modelNames = model.classNames ? [...model.classNames] : null;
  const labelOf = folderNames.map((name, i) => {
    if (!modelNames) return i;
    const k = modelNames.indexOf(name);
    if (k < 0) {
      throw new UsageError(
        `the class '${name}' of ${data} is not one of the model's classes (${modelNames.join(', ')})`,
      );
    }
    return k;
  });
  // Each image through the model's own preprocessing (channels, scale, mean/std, colour order).
  const rows: st.Tensor[] = [];
  for (let i = 0; i < raw.length; i++) rows.push(st.preprocessImage(model, raw.get(i).x));
  const sampleShape = rows[0]!.shape.slice(1);
  const sample = rows[0]!.size;
  const all = new Float32Array(rows.length * sample);
  rows.forEach((r, i) => all.set(r.data, i * sample));
  const classNames = modelNames ?? folderNames;
  return {
    dataset: new st.TensorDataset({
      data: all,
      labels: Int32Array.from(raw.labels, (y) => labelOf[y]!),
      sampleShape,
      numClasses: classNames.length,
      classNames,
      source: data,
    }),
    classNames,
  };
}

/** `stride evaluate runs/pets --data test-photos/` */
export async function evaluateCommand(argv: readonly string[]): Promise<void> {
  const { positional, options } = parseArgs(argv, specs);
  applyRuntimeOptions(options);
  if (positional.length !== 1)
    throw new UsageError(`evaluate needs exactly one model, got ${positional.length}`);
  if (options.data === undefined) throw new UsageError('evaluate needs --data <folder|mnist|fashion-mnist>');
  const model = inferenceModelFromArg(positional[0]!);
  const { dataset, classNames } = await evaluationSet(model, options.data, {
    testLimit: options['test-limit'],
    fashionMnistPath: options['fashion-mnist-path'],
  });
  const r = classReport(model, dataset, classNames);
  if (options.json) {
    console.log(
      JSON.stringify(
        {
          accuracy: r.accuracy,
          images: dataset.length,
          classNames,
          perClass: r.report.perClass.map((c, i) => ({ class: classNames[i], ...c })),
          macro: r.report.macro,
          confusionMatrix: r.confusion.counts,
        },
        null,
        2,
      ),
    );
    return;
  }
  console.log(formatClassReport(r));
  const correct = Math.round(r.accuracy * dataset.length);
  console.log(`accuracy: ${(r.accuracy * 100).toFixed(2)}% (${correct} of ${dataset.length} images)`);
}

import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import * as st from '../../node.js';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from '../args.js';
import { CommandError } from '../command-error.js';
import { applyRuntimeOptions, runtimeOptions } from '../runtime-options.js';
import { inferenceModelFromArg } from './model-source.js';

const specs = {
  'top-k': { type: 'int', help: 'classes shown per image', min: 1, default: 5 },
  json: {
    type: 'boolean',
    help: 'print JSON: [{ file, top: [{ class, index, probability }] }] (and { file, error } for a file that did not decode)',
  },
  ...runtimeOptions,
} satisfies Record<string, OptionSpec>;

/** Images per forward pass. */
const BATCH = 32;

/** Image extensions read from a folder. */
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

/** Help of `stride predict`. */
export const predictHelp = `stride predict <model> <image|folder>... [options]

Print the top classes of each image with their probabilities. Each image is prepared the way the
model records (size, channels, scaling, mean/std: 'stride train' saves them in the run directory,
ONNX files carry them) and the class names come from the model. A folder is searched for JPEG,
PNG and WebP files, sub-folders included. A file that does not decode is reported with its path and
reason, the others are still answered, and the exit status is 1.

  <model>  a run directory of 'stride train', a saved Stride model, an ONNX file, a TF.js
           model.json, or a zoo name (untrained: its answers are random)

${formatOptions(specs)}`;

/** Image files named on the command line: files as given, folders searched recursively (sorted). */
export function imageFiles(args: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.')) continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (IMAGE_EXTENSIONS.has(extname(name).toLowerCase())) out.push(p);
    }
  };
  for (const arg of args) {
    let isDir: boolean;
    try {
      isDir = statSync(arg).isDirectory();
    } catch {
      throw new UsageError(`'${arg}' is neither an image file nor a folder`);
    }
    if (isDir) {
      const before = out.length;
      walk(arg);
      if (out.length === before)
        throw new UsageError(`the folder '${arg}' holds no JPEG, PNG or WebP images`);
    } else out.push(arg);
  }
  return out;
}

/** One image's answer. */
interface Prediction {
  file: string;
  top?: { class: string; index: number; probability: number }[];
  error?: string;
}

/** `stride predict runs/pets photo.jpg more-photos/` */
export async function predictCommand(argv: readonly string[]): Promise<void> {
  const { positional, options } = parseArgs(argv, specs);
  applyRuntimeOptions(options);
  const [modelArg, ...inputs] = positional;
  if (modelArg === undefined || inputs.length === 0)
    throw new UsageError('predict needs a model and at least one image or folder');
  const files = imageFiles(inputs);
  const model = inferenceModelFromArg(modelArg);
  const names = model.classNames;

  // Read every file first (a bad one is reported, not fatal), then run the model in batches.
  const results: Prediction[] = [];
  const ready: { result: Prediction; x: st.Tensor }[] = [];
  for (const file of files) {
    const result: Prediction = { file };
    results.push(result);
    try {
      ready.push({ result, x: await st.preprocess(model, file) });
    } catch (e) {
      if (!(e instanceof st.StrideError)) throw e;
      result.error = e.message;
    }
  }
  for (let start = 0; start < ready.length; start += BATCH) {
    const chunk = ready.slice(start, start + BATCH);
    const logits = st.noGrad(() =>
      model.forward(
        st.concat(
          chunk.map((r) => r.x),
          0,
        ),
      ),
    );
    if (logits.ndim !== 2) {
      throw new CommandError(
        `predict is for classifiers: the model answers a batch with shape [${logits.shape.join(', ')}], expected [images, classes]`,
      );
    }
    const probs = st.softmax(logits, -1);
    const k = probs.shape[1]!;
    chunk.forEach(({ result }, row) => {
      const p = probs.data.subarray(row * k, (row + 1) * k);
      const order = Array.from(p.keys()).sort((a, b) => p[b]! - p[a]!);
      result.top = order.slice(0, options['top-k']).map((i) => ({
        class: names?.[i] ?? String(i),
        index: i,
        probability: p[i]!,
      }));
    });
  }

  if (options.json) console.log(JSON.stringify(results, null, 2));
  else {
    for (const r of results) {
      if (r.error !== undefined) {
        console.error(`${r.file}: ${r.error}`);
        continue;
      }
      console.log(r.file);
      const w = Math.max(...r.top!.map((t) => t.class.length));
      r.top!.forEach((t, k) =>
        console.log(`  ${k + 1}. ${t.class.padEnd(w)}  ${(t.probability * 100).toFixed(1).padStart(5)}%`),
      );
    }
  }
  const failed = results.filter((r) => r.error !== undefined).length;
  if (failed > 0) {
    throw new CommandError(
      `${failed} of ${results.length} image${results.length === 1 ? '' : 's'} could not be read (listed above)`,
    );
  }
}

import { basename, extname } from 'node:path';
import * as st from '../../node.js';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from '../args.js';
import { parseShape } from './model-source.js';
import { modelPathOf } from './run-dir.js';

/** Output extensions and the format each writes; a name without one is a Stride model directory. */
const OUTPUT_EXTENSIONS: Readonly<Record<string, string>> = {
  '.onnx': 'an ONNX file',
  '.safetensors': 'a single-file Stride model',
};

/** Refuse an output name whose extension names no format Stride writes (`model.pt`, `model.h5`). */
function checkOutputName(out: string): void {
  if (/[\\/]$/.test(out)) return; // an explicit directory
  const ext = extname(basename(out)).toLowerCase();
  if (ext === '' || Object.hasOwn(OUTPUT_EXTENSIONS, ext)) return;
  const known = Object.entries(OUTPUT_EXTENSIONS).map(([e, what]) => `${e} (${what})`);
  throw new UsageError(
    `the output '${out}' ends in ${ext}, which names no format Stride writes; use ${known.join(', ')} or a name without an extension (a Stride model directory)`,
  );
}

const specs = {
  input: {
    type: 'string',
    help: 'per-image input shape for ONNX export, e.g. 3x224x224 (default: what the model declares)',
  },
  opset: { type: 'int', help: 'ONNX operator set to write', default: 13 },
} satisfies Record<string, OptionSpec>;

/** Help of `stride convert`. */
export const convertHelp = `stride convert <in> <out> [options]

Convert a model between formats. Reads a Stride model (directory or .safetensors file, or a run
directory of 'stride train'), an ONNX file (.onnx) or a TF.js model (model.json with its weight
shards); writes a Stride model directory (a name without extension), a single-file .safetensors
model or an ONNX file (.onnx). The format is chosen by the name; any other extension is refused.

${formatOptions(specs)}`;

/** `stride convert model.onnx out/` */
export function convertCommand(argv: readonly string[]): void {
  const { positional, options } = parseArgs(argv, specs);
  if (positional.length !== 2)
    throw new UsageError(`convert needs an input and an output path, got ${positional.length} paths`);
  const [inPath, outPath] = positional as [string, string];
  checkOutputName(outPath);
  const r = st.convert(modelPathOf(inPath), outPath, {
    ...(options['input'] !== undefined
      ? { inputShape: parseShape('input', options['input'] as string) }
      : {}),
    ...(options['opset'] !== undefined ? { opset: options['opset'] as number } : {}),
  });
  console.log(
    `converted ${inPath} (${r.from}) -> ${outPath} (${r.to}): ${r.model.numParameters()} parameters`,
  );
}

import * as st from '../../node.js';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from '../args.js';
import { parseShape } from './model-source.js';
import { modelPathOf } from './run-dir.js';

/** Refuse, as a usage error, an output name whose extension names no format Stride writes (`model.pt`). */
function checkOutputName(out: string): void {
  try {
    st.modelOutputFormat(out, 'convert');
  } catch (e) {
    if (!(e instanceof st.ValueError)) throw e;
    throw new UsageError(e.message.slice(e.op.length + 2));
  }
}

const specs = {
  input: {
    type: 'string',
    help: 'per-image input shape for ONNX export, e.g. 3x224x224 (default: what the model declares)',
  },
  opset: { type: 'int', help: 'ONNX operator set to write', default: st.DEFAULT_ONNX_OPSET },
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

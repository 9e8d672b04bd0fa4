import * as st from '../../node.js';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from '../args.js';
import { parseShape } from './model-source.js';

const specs = {
  input: {
    type: 'string',
    help: 'per-image input shape for ONNX export, e.g. 3x224x224 (default: what the model declares)',
  },
  opset: { type: 'int', help: 'ONNX operator set to write', default: 13 },
} satisfies Record<string, OptionSpec>;

/** Help of `stride convert`. */
export const convertHelp = `stride convert <in> <out> [options]

Convert a model between formats. Reads a Stride model (directory or .safetensors file), an ONNX
file (.onnx) or a TF.js model (model.json with its weight shards); writes a Stride model directory,
a single-file .safetensors model or an ONNX file (.onnx). The format is chosen by the path.

${formatOptions(specs)}`;

/** `stride convert model.onnx out/` */
export function convertCommand(argv: readonly string[]): void {
  const { positional, options } = parseArgs(argv, specs);
  if (positional.length !== 2)
    throw new UsageError(`convert needs an input and an output path, got ${positional.length} paths`);
  const [inPath, outPath] = positional as [string, string];
  const r = st.convert(inPath, outPath, {
    ...(options['input'] !== undefined
      ? { inputShape: parseShape('input', options['input'] as string) }
      : {}),
    ...(options['opset'] !== undefined ? { opset: options['opset'] as number } : {}),
  });
  console.log(
    `converted ${inPath} (${r.from}) -> ${outPath} (${r.to}): ${r.model.numParameters()} parameters`,
  );
}

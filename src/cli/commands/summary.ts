import * as st from '../../node.js';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from '../args.js';
import { modelFromArg, parseShape } from './model-source.js';

const specs = {
  input: { type: 'string', help: "per-image input shape, e.g. 3x224x224 (default: the zoo model's own)" },
  json: {
    type: 'boolean',
    help: 'print JSON (totalParams, trainableParams, macs, activationBytes, layers[])',
  },
  'num-classes': { type: 'int', help: 'classes of a zoo model (default: its own)' },
  'no-receptive-field': { type: 'boolean', help: 'leave out the receptive-field columns' },
} satisfies Record<string, OptionSpec>;

/** Help of `stride summary`. */
export const summaryHelp = `stride summary <model-name | saved-model-path> [options]

Print a model's layers with output shapes, parameters, activation memory, multiply-adds and
receptive fields, then the totals (parameters, bytes, forward activation memory per image, a
training-memory estimate) and warnings such as input rows a stride leaves unread.

${formatOptions(specs)}`;

/** `stride summary resnet18 --input 3x224x224 [--json]` */
export function summaryCommand(argv: readonly string[]): void {
  const { positional, options } = parseArgs(argv, specs);
  if (positional.length !== 1)
    throw new UsageError(`summary needs exactly one model, got ${positional.length}`);
  const numClasses = options['num-classes'] as number | undefined;
  const model = modelFromArg(positional[0]!, numClasses !== undefined ? { numClasses } : {});
  const input = options['input'] !== undefined ? parseShape('input', options['input'] as string) : undefined;
  if (input === undefined && st.getDefaultInputShape(model) === null) {
    throw new UsageError('this model has no default input shape; pass --input, e.g. --input 3x224x224');
  }
  const s = st.summary(model, input);
  console.log(
    options['json']
      ? st.summaryJson(s)
      : st.formatSummary(s, { hideReceptiveField: options['no-receptive-field'] === true }),
  );
}

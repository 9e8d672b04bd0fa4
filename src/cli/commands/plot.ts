import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as st from '../../node.js';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from '../args.js';

const specs = {
  format: { type: 'string', help: 'file type of the charts', choices: ['png', 'svg'], default: 'png' },
  out: { type: 'string', help: 'folder for the charts (default: the run folder)' },
  title: { type: 'string', help: 'title above the loss and metric panels' },
} satisfies Record<string, OptionSpec>;

/** Help of `stride plot`. */
export const plotHelp = `stride plot <run-dir | log.csv> [options]

Draw a run's training history (loss and metrics per epoch, train and validation) from the
history.csv that stride train writes, or any CSV that CSVLogger wrote, and its confusion matrix
(confusion.json) as a heat map, when there is one.

${formatOptions(specs)}`;

/** `stride plot runs/lenet5-mnist` */
export async function plotCommand(argv: readonly string[]): Promise<void> {
  const { positional, options } = parseArgs(argv, specs);
  if (positional.length !== 1)
    throw new UsageError(`plot needs exactly one run folder or CSV file, got ${positional.length}`);
  const arg = positional[0]!;
  const isDir = existsSync(arg) && statSync(arg).isDirectory();
  const csv = isDir ? join(arg, 'history.csv') : arg;
  const runDir = isDir ? arg : dirname(arg);
  const outDir = (options['out'] as string | undefined) ?? runDir;
  const ext = options['format'] as string;
  const history = st.viz.readTrainingLog(csv);
  const title = options['title'] as string | undefined;
  const written = [
    await st.viz.saveChart(
      st.viz.historyChart(history, title ? { title } : {}),
      join(outDir, `history.${ext}`),
    ),
  ];
  const cmPath = join(runDir, 'confusion.json');
  if (existsSync(cmPath)) {
    const { matrix, classNames } = st.viz.readConfusionJson(cmPath);
    written.push(
      await st.viz.saveChart(
        st.viz.confusionChart(matrix, classNames ? { classNames } : {}),
        join(outDir, `confusion.${ext}`),
      ),
    );
  }
  console.log(
    `${history.epochs.length} epochs of ${Object.keys(history.history).join(', ')}; wrote ${written.join(', ')}`,
  );
}

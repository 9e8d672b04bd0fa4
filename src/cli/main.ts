#!/usr/bin/env node
/**
 * The `stride` command line: `stride <command> [args]`. Each command lives in its own file under
 * commands/; this file only dispatches and turns errors into messages and exit codes.
 */
import { StrideError } from '../errors.js';
import { UsageError } from './args.js';
import { convertCommand, convertHelp } from './commands/convert.js';
import { modelsCommand, modelsHelp } from './commands/models.js';
import { summaryCommand, summaryHelp } from './commands/summary.js';
import { trainCommand, trainHelp } from './commands/train.js';
import { vizCommand, vizHelp } from './commands/viz.js';
import { plotCommand, plotHelp } from './commands/plot.js';

interface Command {
  summary: string;
  help: string;
  run(argv: readonly string[]): Promise<void> | void;
}

const commands: Record<string, Command> = {
  train: { summary: 'train a zoo model on MNIST or Fashion-MNIST', help: trainHelp, run: trainCommand },
  summary: {
    summary: "a model's layers, parameters, memory, MACs and receptive fields",
    help: summaryHelp,
    run: summaryCommand,
  },
  models: { summary: 'the model zoo with parameter counts and MACs', help: modelsHelp, run: modelsCommand },
  convert: {
    summary: 'convert a model between Stride, safetensors, ONNX and TF.js files',
    help: convertHelp,
    run: convertCommand,
  },
  viz: {
    summary: 'pictures: filters, activations, saliency, Grad-CAM, maximize, dream, edges',
    help: vizHelp,
    run: vizCommand,
  },
  plot: {
    summary: "charts of a run's training history and confusion matrix",
    help: plotHelp,
    run: plotCommand,
  },
};

function usage(): string {
  const w = Math.max(...Object.keys(commands).map((k) => k.length));
  return [
    'usage: stride <command> [options]',
    '',
    'commands:',
    ...Object.entries(commands).map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`),
    '',
    "Run 'stride <command> --help' for a command's options.",
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    console.error(`stride: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(cmd.help);
    return 0;
  }
  try {
    await cmd.run(rest);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`stride ${name}: ${e.message}\n\n${cmd.help}`);
      return 2;
    }
    if (e instanceof StrideError) {
      console.error(`stride ${name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));

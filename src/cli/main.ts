#!/usr/bin/env node
/**
 * The `stride` command line: `stride <command> [args]`. Each command lives in its own file under
 * commands/ and registers below with one line; this file only dispatches and turns errors into
 * messages and exit codes: 2 for usage errors (one line, with "did you mean" for typos), 1 for
 * errors while running (a file that does not decode, a shape that does not fit).
 */
import { StrideError } from '../errors.js';
import { UsageError } from './args.js';
import { batchCommand, batchHelp } from './commands/batch.js';
import { convertCommand, convertHelp } from './commands/convert.js';
import { detectCommand, detectHelp } from './commands/detect.js';
import { modelsCommand, modelsHelp } from './commands/models.js';
import { segmentCommand, segmentHelp } from './commands/segment.js';
import { serveCommand, serveHelp } from './commands/serve.js';
import { facesCommand, facesHelp } from './commands/faces.js';
import { styleCommand, styleHelp } from './commands/style.js';
import { summaryCommand, summaryHelp } from './commands/summary.js';
import { trainCommand, trainHelp } from './commands/train.js';
import { workerCommand, workerHelp } from './commands/worker.js';
import { CommandError } from './command-error.js';
import { evaluateCommand, evaluateHelp } from './commands/evaluate.js';
import { predictCommand, predictHelp } from './commands/predict.js';
import { closest } from './did-you-mean.js';
import { loadWasmIfAsked } from './runtime-options.js';
import { strideVersion } from './version.js';
import { vizCommand, vizHelp } from './commands/viz.js';
import { plotCommand, plotHelp } from './commands/plot.js';

interface Command {
  summary: string;
  help: string;
  run(argv: readonly string[]): Promise<void> | void;
}

const commands: Record<string, Command> = {
  train: { summary: 'train a model on a folder of images (or MNIST)', help: trainHelp, run: trainCommand },
  evaluate: {
    summary: 'accuracy, per-class report and confusion matrix on labelled images',
    help: evaluateHelp,
    run: evaluateCommand,
  },
  predict: {
    summary: 'the top classes of image files, with probabilities',
    help: predictHelp,
    run: predictCommand,
  },
  summary: {
    summary: "a model's layers, parameters, memory, MACs and receptive fields",
    help: summaryHelp,
    run: summaryCommand,
  },
  segment: {
    summary: 'segment an image: colour-coded mask and overlay PNGs',
    help: segmentHelp,
    run: segmentCommand,
  },
  models: { summary: 'the model zoo with parameter counts and MACs', help: modelsHelp, run: modelsCommand },
  convert: {
    summary: 'convert a model between Stride, safetensors, ONNX and TF.js files',
    help: convertHelp,
    run: convertCommand,
  },
  serve: { summary: 'serve models over HTTP (Open Inference Protocol)', help: serveHelp, run: serveCommand },
  batch: { summary: 'queue images in Redis for batch inference', help: batchHelp, run: batchCommand },
  worker: { summary: 'run batch-inference jobs from Redis', help: workerHelp, run: workerCommand },
  detect: {
    summary: 'find objects in a photo with a pretrained detector',
    help: detectHelp,
    run: detectCommand,
  },
  faces: {
    summary: 'face verification and identification (face-api networks)',
    help: facesHelp,
    run: facesCommand,
  },
  style: {
    summary: 'neural style transfer of a photo (pretrained MobileNetV2)',
    help: styleHelp,
    run: styleCommand,
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
    '       stride --version',
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
  if (name === '--version' || name === '-V') {
    console.log(strideVersion());
    return 0;
  }
  const cmd = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!cmd) {
    const guess = closest(name, Object.keys(commands));
    console.error(
      `stride: unknown command '${name}'${guess ? `; did you mean '${guess}'?` : ''}\n` +
        `Commands: ${Object.keys(commands).join(', ')}. Run 'stride --help' for what each does.`,
    );
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(cmd.help);
    return 0;
  }
  try {
    await loadWasmIfAsked(rest);
    await cmd.run(rest);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`stride ${name}: ${e.message}\nRun 'stride ${name} --help' for its options.`);
      return 2;
    }
    if (e instanceof StrideError || e instanceof CommandError) {
      console.error(`stride ${name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

// `stride predict runs/pets photos/ | head`: a reader that stops early ends the output quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});
process.exitCode = await main(process.argv.slice(2));

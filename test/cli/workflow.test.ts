import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../src/cli/args.js';
import { convertCommand } from '../../src/cli/commands/convert.js';
import { predictCommand } from '../../src/cli/commands/predict.js';
import { trainCommand } from '../../src/cli/commands/train.js';
import { buildPhotoFolder, PHOTOS, skipPhotos } from './photo-folder.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function stride(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 32 * 1024 * 1024,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The message of the UsageError (exit status 2) that a command throws, run in this process. */
async function usageError(run: () => Promise<void> | void): Promise<string> {
  try {
    await run();
  } catch (e) {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
    return e.message;
  }
  assert.fail('the command did not refuse');
}

/** The header of a safetensors file: its JSON, as PyTorch's safetensors reads it (8-byte length, then JSON). */
function safetensorsHeader(file: string): Record<string, unknown> {
  const bytes = readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  return JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
}

interface Prediction {
  file: string;
  top?: { class: string; index: number; probability: number }[];
  error?: string;
}

/**
 * The everyday workflow on a folder of real photos (3 classes, 6 crops/mirrors each, 32x32):
 * train, resume, evaluate, predict with class names, convert to ONNX and predict again.
 */
describe('stride train / evaluate / predict on a folder of photos', { skip: skipPhotos }, () => {
  let dir = '';
  let data = '';
  let run = '';
  let files: Record<string, string[]> = {};
  const classes = Object.keys(PHOTOS).sort();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stride-workflow-'));
    data = join(dir, 'photos');
    run = join(dir, 'run');
    files = await buildPhotoFolder(data, { truncated: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a folder with a truncated JPEG, naming the file and the reason', () => {
    const bad = stride('train', 'convnetjs_cifar10', '--data', data, '--size', '32', '--out', run);
    assert.equal(bad.code, 1, bad.err);
    assert.match(bad.err, /cat[\\/]truncated\.jpg: truncated JPEG/);
    rmSync(join(data, 'cat', 'truncated.jpg'));
  });

  it('refuses a model that cannot take the image size, with the smallest it accepts, before reading any image', async () => {
    // AlexNet at 32x32: by hand, its 11x11 stride-4 convolution (padding 2) and three 3x3 stride-2
    // poolings need (s + 4 - 11) / 4 + 1 >= 15, i.e. s >= 63.
    const out = join(dir, 'alexnet-run');
    const msg = await usageError(() =>
      trainCommand(['alexnet', '--data', data, '--size', '32', '--out', out]),
    );
    assert.match(msg, /^alexnet cannot take 32x32 images .*the smallest size it accepts is 63x63/);
    assert.equal(existsSync(out), false, 'nothing trained, nothing written');
  });

  it('trains, resumes with the optimizer state, evaluates and predicts with class names; ONNX gives the same answers', async () => {
    // 12 training / 6 validation images (stratified 1/3); batches of 6: 2 steps per epoch.
    const first = stride(
      ...['train', 'convnetjs_cifar10', '--data', data, '--size', '32', '--val-split', '0.34'],
      ...['--epochs', '1', '--batch-size', '6', '--lr', '0.005', '--augment', 'flip', '--seed', '1'],
      ...['--out', run, '--backend', 'reference'],
    );
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /12 training \/ 6 validation \/ 0 test images of 3x32x32, 3 classes/);
    assert.match(first.out, /validation accuracy: \d+\.\d\d%/);
    // Adam's per-parameter step counts, read from the optimizer file's header.
    const optimizerFile = join(run, 'model', 'optimizer.safetensors');
    const adamSteps = () => {
      const meta = safetensorsHeader(optimizerFile)['__metadata__'] as Record<string, string>;
      const state = JSON.parse(meta['stride.optimizer']!) as { scalars: Record<string, { step: number }> };
      return [...new Set(Object.values(state.scalars).map((s) => s.step))];
    };
    assert.deepEqual(adamSteps(), [2]);

    const resumed = stride('train', '--resume', run, '--epochs', '12');
    assert.equal(resumed.code, 0, resumed.err);
    assert.match(resumed.out, /resuming .* after epoch 1 of 12/);
    // The restored Adam state continues counting: 12 epochs x 2 steps.
    assert.deepEqual(adamSteps(), [24], 'Adam continued from its saved step count');
    assert.match(
      await usageError(() => trainCommand(['--resume', run, '--lr', '0.1'])),
      /--lr cannot change/,
    );

    // evaluate on the whole folder: every image scored once against its folder's name.
    const ev = stride('evaluate', run, '--data', data, '--json');
    assert.equal(ev.code, 0, ev.err);
    const report = JSON.parse(ev.out) as {
      accuracy: number;
      images: number;
      classNames: string[];
      confusionMatrix: number[][];
    };
    assert.deepEqual(report.classNames, classes);
    assert.equal(report.images, 18);
    assert.deepEqual(
      report.confusionMatrix.map((row) => row.reduce((a, b) => a + b, 0)),
      [6, 6, 6],
    );
    const diagonal = report.confusionMatrix.reduce((s, row, i) => s + row[i]!, 0);
    assert.equal(report.accuracy, diagonal / 18);
    assert.ok(report.accuracy > 2 / 3, `accuracy ${report.accuracy} after 12 epochs (chance: 1/3)`);

    // predict: class names and probabilities; the top-1 answers agree with evaluate's confusion matrix.
    const all = classes.flatMap((c) => files[c]!);
    const pred = stride('predict', run, data, '--json', '--top-k', '3');
    assert.equal(pred.code, 0, pred.err);
    const answers = JSON.parse(pred.out) as Prediction[];
    assert.deepEqual(answers.map((a) => a.file).sort(), [...all].sort());
    const counts = classes.map(() => classes.map(() => 0));
    for (const a of answers) {
      assert.equal(a.top!.length, 3);
      assert.deepEqual(a.top!.map((t) => t.class).sort(), classes);
      const total = a.top!.reduce((s, t) => s + t.probability, 0);
      assert.ok(Math.abs(total - 1) < 1e-4, `probabilities of ${a.file} sum to ${total}`);
      assert.ok(a.top![0]!.probability >= a.top![1]!.probability);
      const truth = classes.findIndex((c) => a.file.includes(join(data, c)));
      counts[truth]![classes.indexOf(a.top![0]!.class)]!++;
    }
    assert.deepEqual(counts, report.confusionMatrix);

    const log = mock.method(console, 'log', () => {});
    try {
      await predictCommand([run, files['cat']![0]!, '--top-k', '2']);
      const printed = log.mock.calls.map((c) => String(c.arguments[0]));
      assert.equal(printed.length, 3);
      assert.equal(printed[0], files['cat']![0]!);
      assert.match(printed[1]!, /^ {2}1\. (cat|coffee|giraffe) +\d+\.\d%$/);
    } finally {
      log.mock.restore();
    }

    // ONNX: same answers, class names and preprocessing carried in the file.
    const onnx = join(dir, 'photos.onnx');
    const conv = stride('convert', run, onnx);
    assert.equal(conv.code, 0, conv.err);
    const again = JSON.parse(stride('predict', onnx, data, '--json', '--top-k', '3').out) as Prediction[];
    assert.equal(again.length, answers.length);
    again.forEach((a, i) => {
      const b = answers[i]!;
      assert.equal(a.file, b.file);
      assert.equal(a.top![0]!.class, b.top![0]!.class, `top class of ${a.file}`);
      const p = new Map(b.top!.map((t) => [t.class, t.probability]));
      for (const t of a.top!)
        assert.ok(Math.abs(t.probability - p.get(t.class)!) < 1e-4, `${t.class} of ${a.file}`);
    });
    assert.match(
      await usageError(() => convertCommand([run, join(dir, 'photos.pt')])),
      /the output '.*photos\.pt' has the extension '\.pt', which names no model format Stride writes/,
    );
  });
});

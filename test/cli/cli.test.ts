import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function stride(...args: string[]) {
  return strideWith({}, ...args);
}

function strideWith(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 32 * 1024 * 1024,
    env: { ...process.env, ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('stride CLI', () => {
  it('prints usage and refuses unknown commands and options with status 2', () => {
    const help = stride('--help');
    assert.equal(help.code, 0);
    assert.match(help.out, /usage: stride <command>/);
    for (const cmd of ['train', 'evaluate', 'predict', 'summary', 'models', 'convert'])
      assert.match(help.out, new RegExp(`\\n  ${cmd} `));
    const bad = stride('trian');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^stride: unknown command 'trian'; did you mean 'train'\?\n/);
    const badOpt = stride('train', 'lenet5', '--epochs', 'two');
    assert.equal(badOpt.code, 2);
    assert.match(badOpt.err, /--epochs must be a number; got 'two'/);
    const badChoice = stride('train', 'lenet5', '--dataset', 'cifar10');
    assert.equal(badChoice.code, 2);
    assert.match(
      badChoice.err,
      /--dataset must be one of mnist, fashion-mnist, mnist-segmentation; got 'cifar10'/,
    );
    assert.equal(
      badChoice.err.split('\n')[0],
      "stride train: --dataset must be one of mnist, fashion-mnist, mnist-segmentation; got 'cifar10'",
    );
  });

  it("'train yolo --help' prints the yolo subcommand's help, 'train --help' train's", () => {
    const yolo = stride('train', 'yolo', '--help');
    assert.equal(yolo.code, 0);
    assert.match(yolo.out, /^stride train yolo --dataset mnist-detection/);
    assert.match(yolo.out, /--head/);
    assert.doesNotMatch(yolo.out, /--data <folder>/);
    const train = stride('train', '--help');
    assert.match(train.out, /^stride train <model> --data <folder>/);
  });

  it('--version prints the package version; a bad STRIDE_BACKEND is one warning line', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const v = strideWith({ STRIDE_BACKEND: 'gpu' }, '--version');
    assert.equal(v.code, 0);
    assert.equal(v.out.trim(), pkg.version);
    assert.match(
      v.err,
      /^stride: STRIDE_BACKEND='gpu' names no backend \(available: [a-z, ]+\); using '\w+'\n$/,
    );
  });

  it('models lists the zoo with torchvision parameter counts', () => {
    const r = stride('models', '--json');
    assert.equal(r.code, 0, r.err);
    const list = JSON.parse(r.out) as { name: string; params: number; macs: number }[];
    const byName = new Map(list.map((m) => [m.name, m]));
    assert.equal(byName.get('resnet18')!.params, 11_689_512);
    assert.equal(byName.get('vgg16')!.params, 138_357_544);
    assert.equal(byName.get('mobilenet_v2')!.params, 3_504_872);
  });

  it('summary prints JSON with totals and per-layer fields', () => {
    const r = stride('summary', 'resnet18', '--input', '3x224x224', '--json');
    assert.equal(r.code, 0, r.err);
    const s = JSON.parse(r.out) as {
      totalParams: number;
      trainableParams: number;
      macs: number;
      activationBytes: number;
      layers: {
        name: string;
        type: string;
        outputShape: number[];
        params: number;
        macs: number;
        receptiveField: unknown;
      }[];
    };
    assert.equal(s.totalParams, 11_689_512);
    assert.equal(s.trainableParams, 11_689_512);
    assert.ok(Math.abs(s.macs / 1e9 - 1.82) < 0.01, `resnet18 MACs ${s.macs}`);
    assert.ok(s.activationBytes > 0);
    const conv1 = s.layers.find((l) => l.name === 'conv1')!;
    assert.deepEqual(conv1.outputShape, [64, 112, 112]);
    assert.equal(conv1.params, 9408);
    assert.equal(conv1.type, 'Conv2d');
    assert.ok(conv1.receptiveField);
  });

  it('summary reports the layer where a too-small input collapses', () => {
    const r = stride('summary', 'alexnet', '--input', '3x32x32');
    assert.equal(r.code, 1);
    assert.match(r.err, /features\.12/);
  });

  it('summary of a file that does not exist names the problem', () => {
    const r = stride('summary', 'no/such/model');
    assert.equal(r.code, 2);
    assert.match(r.err, /neither a zoo model nor an existing model file/);
  });

  it('train runs a short job, saves a checkpoint that summary can read', () => {
    const out = mkdtempSync(join(tmpdir(), 'stride-cli-'));
    try {
      const r = stride(
        'train',
        'lenet5',
        '--epochs',
        '1',
        '--train-limit',
        '600',
        '--test-limit',
        '200',
        '--val-split',
        '0.1',
        '--out',
        out,
      );
      assert.equal(r.code, 0, r.err);
      const m = /(\d+) training \/ (\d+) validation \/ 200 test images/.exec(r.out);
      assert.ok(m, r.out);
      assert.equal(Number(m[1]) + Number(m[2]), 600);
      assert.ok(Math.abs(Number(m[2]) - 60) <= 2, 'about 10% held out (stratified per class)');
      assert.match(r.out, /Epoch 1\/1/);
      assert.match(r.out, /val_accuracy/);
      assert.match(r.out.trim().split('\n').at(-1)!, /^test accuracy: \d+\.\d\d%$/);
      assert.ok(existsSync(join(out, 'model')));
      const s = stride('summary', join(out, 'model'), '--input', '1x28x28', '--json');
      assert.equal(s.code, 0, s.err);
      assert.equal((JSON.parse(s.out) as { totalParams: number }).totalParams, 61_706);
      // Convert the checkpoint to ONNX and back; summary reads both.
      const c = stride('convert', join(out, 'model'), join(out, 'lenet.onnx'), '--input', '1x28x28');
      assert.equal(c.code, 0, c.err);
      assert.match(c.out, /\(stride\) -> .*lenet\.onnx \(onnx\): 61706 parameters/);
      const back = stride('summary', join(out, 'lenet.onnx'), '--input', '1x28x28', '--json');
      assert.equal(back.code, 0, back.err);
      assert.equal((JSON.parse(back.out) as { totalParams: number }).totalParams, 61_706);
      const bad = stride('convert', join(out, 'missing'), join(out, 'x.onnx'));
      assert.equal(bad.code, 1);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

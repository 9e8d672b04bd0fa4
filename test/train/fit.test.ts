import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';

/** Two Gaussian blobs in 2-D, labels 0/1 (flipped when `flip`). */
function blobs(n: number, seed: number, flip = false): st.TensorDataset {
  const rng = new st.Rng(seed);
  const data = new Float32Array(n * 2);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    data[2 * i] = (c ? 2 : -2) + rng.normal(0, 0.5);
    data[2 * i + 1] = (c ? 1 : -1) + rng.normal(0, 0.5);
    labels[i] = flip ? 1 - c : c;
  }
  return new st.TensorDataset({ data, labels, sampleShape: [2], numClasses: 2 });
}

const silent = { write: () => undefined, isTTY: false };

describe('fit', () => {
  it('learns a separable problem and reports history, evaluate and predict', async () => {
    st.manualSeed(1);
    const model = new st.Sequential(new st.Linear(2, 8), new st.ReLU(), new st.Linear(8, 2));
    const train = blobs(200, 1);
    const history = await model.fit(train, {
      optimizer: new st.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }),
      epochs: 5,
      batchSize: 16,
      seed: 3,
      validationData: blobs(100, 2),
      verbose: 0,
    });
    assert.deepEqual(history.epochs, [0, 1, 2, 3, 4]);
    const acc = history.history['val_accuracy']!;
    assert.equal(acc.length, 5);
    assert.ok(acc[4]! >= 0.97, `validation accuracy ${acc[4]}`);
    assert.ok(history.history['loss']![4]! < history.history['loss']![0]!);
    const logs = model.evaluate(blobs(100, 2));
    assert.equal(logs['accuracy'], acc[4]);
    const out = model.predict(blobs(10, 4));
    assert.deepEqual([...out.shape], [10, 2]);
    assert.equal(model.training, true);
  });

  it('early stopping stops after `patience` and restores the best weights', async () => {
    st.manualSeed(2);
    const model = new st.Sequential(new st.Linear(2, 2));
    // Validation labels are the opposite of training labels: validation loss rises as training
    // improves, so the best epoch is the first.
    const snapshots: Record<string, st.Tensor>[] = [];
    const recorder: st.Callback = {
      onEpochEnd: (_e, _l, ctx) => {
        const sd = ctx.model.stateDict();
        snapshots.push(
          Object.fromEntries(
            Object.entries(sd).map(([k, t]) => [k, st.tensor(Array.from(t.data), [...t.shape])]),
          ),
        );
      },
    };
    const es = new st.EarlyStopping({ monitor: 'val_loss', patience: 2, restoreBestWeights: true });
    const history = await model.fit(blobs(200, 5), {
      optimizer: new st.SGD(model.parameters(), { lr: 0.5 }),
      epochs: 20,
      batchSize: 20,
      validationData: blobs(100, 6, true),
      callbacks: [recorder, es],
      verbose: 0,
    });
    assert.equal(history.epochs.length, 4, 'best at epoch 0, then 2 epochs of patience, stop at epoch 3');
    assert.equal(es.bestEpoch, 0);
    assert.equal(es.stoppedEpoch, 3);
    const now = model.stateDict();
    for (const [k, t] of Object.entries(snapshots[0]!))
      assert.deepEqual(Array.from(now[k]!.data), Array.from(t.data));
  });

  it('checkpoints only on improvement; schedules change the learning rate', async () => {
    const model = new st.Sequential(new st.Linear(2, 2));
    const saved: string[] = [];
    const opt = new st.SGD(model.parameters(), { lr: 0.1 });
    const ckpt = new st.ModelCheckpoint({
      path: 'ckpt-{epoch}',
      monitor: 'loss',
      save: (_m, p) => void saved.push(p),
    });
    const lr = new st.LearningRateScheduler(new st.lrScheduler.StepLR(opt, { stepSize: 1, gamma: 0.5 }));
    const history = await model.fit(blobs(64, 7), {
      optimizer: opt,
      epochs: 3,
      batchSize: 16,
      callbacks: [ckpt, lr],
      verbose: 0,
    });
    assert.deepEqual(history.history['lr'], [0.1, 0.05, 0.025]);
    // Training loss falls every epoch on this easy problem, so every epoch is saved.
    const losses = history.history['loss']!;
    const expected = losses
      .map((_, i) => `ckpt-${i + 1}`)
      .filter((_, i) => i === 0 || losses[i]! < Math.min(...losses.slice(0, i)));
    assert.deepEqual(saved, expected);
  });

  it('prints a line per epoch when not on a TTY', async () => {
    const model = new st.Sequential(new st.Linear(2, 2));
    let text = '';
    await model.fit(blobs(32, 8), {
      optimizer: new st.SGD(model.parameters(), { lr: 0.1 }),
      epochs: 2,
      batchSize: 16,
      verbose: 0,
      callbacks: [new st.ProgressBar({ sink: { write: (s) => void (text += s), isTTY: false } })],
    });
    const lines = text.trim().split('\n');
    assert.equal(lines.length, 4);
    assert.equal(lines[0], 'Epoch 1/2');
    assert.match(lines[1]!, /^2\/2 \[=+\] - \d+s \d+ms\/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}$/);
    void silent;
  });

  it('refuses a bad configuration with the fix', async () => {
    const model = new st.Sequential(new st.Linear(2, 2));
    await assert.rejects(
      model.fit(blobs(8, 1), { optimizer: new st.SGD(model.parameters(), { lr: 0.1 }), epochs: 0 }),
      /epochs must be a positive integer/,
    );
    await assert.rejects(
      model.fit(blobs(8, 1), {
        optimizer: new st.SGD(model.parameters(), { lr: 0.1 }),
        loss: 'nope' as never,
      }),
      /unknown loss 'nope'/,
    );
    await assert.rejects(
      model.fit(blobs(8, 1), {
        optimizer: new st.SGD(model.parameters(), { lr: 0.1 }),
        callbacks: [new st.EarlyStopping()],
        verbose: 0,
      }),
      /'val_loss' is not in the logs.*Fix: pass validation data/,
    );
  });
});

describe('CSVLogger', () => {
  it('writes a header and one row per epoch', async () => {
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { CSVLogger } = await import('../../src/node.js');
    const dir = mkdtempSync(join(tmpdir(), 'stride-csv-'));
    try {
      const file = join(dir, 'log.csv');
      const model = new st.Sequential(new st.Linear(2, 2));
      const h = await model.fit(blobs(32, 9), {
        optimizer: new st.SGD(model.parameters(), { lr: 0.1 }),
        epochs: 3,
        batchSize: 8,
        verbose: 0,
        callbacks: [new CSVLogger(file)],
      });
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      assert.equal(lines[0], 'epoch,loss,accuracy');
      assert.equal(lines.length, 4);
      assert.deepEqual(lines[2]!.split(',').map(Number), [
        1,
        h.history['loss']![1],
        h.history['accuracy']![1],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

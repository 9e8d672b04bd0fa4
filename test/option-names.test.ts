import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as st from '../src/node.js';

// Plain-JavaScript callers get no type errors, so misspelt or unsupported option names must fail
// loudly instead of being ignored.
const js = <T>(o: object) => o as T;

test('zoo builders refuse unknown option names with a suggestion, and pretrained says no weights ship', () => {
  assert.throws(
    () => st.models.resnet18(js({ numClases: 10 })),
    /resnet18: unknown option 'numClases' \(did you mean 'numClasses'\?\)/,
  );
  assert.throws(
    () => st.models.vgg11(js({ pretrained: true, init: false })),
    /Stride ships no pretrained weights for 'vgg11'/,
  );
  assert.throws(() => st.models.lenet5(js({ varient: 'modern' })), /did you mean 'variant'/);
  assert.throws(
    () => st.getModel('mobilenet_v2', js({ width: 0.5, init: false })),
    /unknown option 'width'.*known options: numClasses, inChannels, init, widthMultiplier, dropout/,
  );
  // Known family options and undefined values pass.
  st.models.googlenet({ auxLogits: false, init: false, numClasses: undefined });
  st.models.resnet50({ variant: 'v1', zeroInitResidual: true, init: false });
});

test('optimizers refuse unknown option names, in the defaults and in parameter groups', () => {
  const m = new st.Linear(2, 2);
  assert.throws(
    () => new st.Adam(m.parameters(), js({ learningRate: 0.1 })),
    /Adam: unknown option 'learningRate'/,
  );
  assert.throws(() => new st.SGD(m.parameters(), js({ lr: 0.1, momentun: 0.9 })), /did you mean 'momentum'/);
  assert.throws(
    () => new st.SGD([{ params: m.parameters(), lr: 0.1, weight_decay: 1e-4 } as never], { lr: 0.1 }),
    /SGD: unknown option 'weight_decay' in a parameter group/,
  );
  new st.RMSprop(m.parameters(), { lr: 0.01, alpha: 0.9 });
});

test('fit, evaluate, DataLoader, save/load and loadImageFolder refuse unknown option names', async () => {
  const ds = new st.TensorDataset({ data: new Float32Array(8), labels: new Int32Array(4), sampleShape: [2] });
  const m = new st.Linear(2, 2);
  await assert.rejects(
    m.fit(ds, js({ optimizer: new st.SGD(m.parameters(), { lr: 0.1 }), epoch: 2 })),
    /fit: unknown option 'epoch' \(did you mean 'epochs'\?\)/,
  );
  assert.throws(() => m.evaluate(ds, js({ batch: 2 })), /evaluate: unknown option 'batch'/);
  assert.throws(
    () => new st.DataLoader(ds, js({ batch_size: 2 })),
    /DataLoader: unknown option 'batch_size' \(did you mean 'batchSize'\?\)/,
  );
  assert.throws(
    () => st.save(m, 'unused-path', js({ optimiser: {} })),
    /save: unknown option 'optimiser' \(did you mean 'optimizer'\?\)/,
  );
  assert.throws(() => st.load('unused-path', js({ strictt: false })), /load: unknown option 'strictt'/);
  await assert.rejects(
    st.loadImageFolder('unused', js({ size: 2, resize: 4 })),
    /loadImageFolder: unknown option 'resize'/,
  );
});

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as st from '../../src/index.js';
import { load, save } from '../../src/node-io.js';

const root = mkdtempSync(join(tmpdir(), 'stride-seg-save-'));

/**
 * Save `model` (after one training step, so that the batch-norm statistics are not their initial
 * values), load it back and compare the class scores of the saved model with the loaded one's on
 * the same input, in evaluation mode.
 */
function roundTrip(name: string, model: st.Module, input: readonly number[]): st.Module {
  model.train();
  st.noGrad(() => model.forward(st.randn([2, ...input], { seed: 3 })));
  model.eval();
  const x = st.randn([1, ...input], { seed: 4 });
  const before = st.noGrad(() => model.forward(x));
  const path = join(root, `${name}.safetensors`);
  save(model, path);
  const loaded = load(path);
  assert.equal(loaded.constructor.name, model.constructor.name);
  assert.deepEqual(Object.keys(loaded.stateDict()), Object.keys(model.stateDict()));
  const after = st.noGrad(() => loaded.forward(x));
  assert.deepEqual([...after.shape], [...before.shape]);
  assert.deepEqual([...after.data], [...before.data], `${name}: the loaded model computes other scores`);
  return loaded;
}

test('fcn8s on a zoo backbone saves and loads with the same scores', () => {
  st.manualSeed(1);
  roundTrip('fcn8s', st.models.fcn8s(st.models.resnet18(), { numClasses: 3 }), [3, 32, 32]);
});

test('lraspp_mobilenet_v3_large (LR-ASPP head, squeeze-excitation, hardswish) saves and loads', () => {
  st.manualSeed(2);
  roundTrip('lraspp', st.models.lraspp_mobilenet_v3_large({ numClasses: 4 }), [3, 64, 64]);
});

test('a SegmentationModel with a DeepLab head (ASPP) and an auxiliary FCN head keeps both heads', () => {
  st.manualSeed(3);
  const backbone = new st.Sequential({
    stem: new st.Conv2d(3, 8, 3, { stride: 2, padding: 1 }),
    relu: new st.ReLU(),
    deep: new st.Conv2d(8, 16, 3, { padding: 2, dilation: 2 }),
  });
  const model = new st.models.SegmentationModel(backbone, new st.models.DeepLabHead(16, 3), ['deep'], {
    tap: 'stem',
    classifier: new st.models.FCNHead(8, 3),
  });
  const loaded = roundTrip('deeplab-aux', model, [3, 32, 32]) as st.models.SegmentationModel;
  const x = st.randn([1, 3, 32, 32], { seed: 5 });
  const [, auxBefore] = st.noGrad(() => model.forwardAux(x));
  const [, auxAfter] = st.noGrad(() => loaded.forwardAux(x));
  assert.deepEqual([...auxAfter.data], [...auxBefore.data]);
  assert.deepEqual(loaded.taps, ['deep']);
  assert.equal(loaded.auxTap, 'stem');
});

test('a trained U-Net (a Graph) saves and loads with the same scores', () => {
  st.manualSeed(4);
  roundTrip('unet', st.models.unet({ inChannels: 1, numClasses: 3, depth: 2, baseChannels: 4 }), [1, 16, 16]);
});

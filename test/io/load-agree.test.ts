import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as st from '../../src/node.js';

const dir = mkdtempSync(join(tmpdir(), 'stride-load-agree-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function net(): st.Sequential {
  const rng = new st.Rng(2);
  return new st.Sequential(new st.Linear(3, 4, { rng }), new st.Dropout(0.5), new st.Linear(4, 2, { rng }));
}

test('st.load gives the model in eval mode; loadCheckpoint, decodeModel and decodeModelFile give { model, config, optimizer? } with the saved modes', () => {
  const model = net().train();
  const opt = new st.Adam(model.parameters(), { lr: 0.1 });
  st.save(model, join(dir, 'm'), { optimizer: opt });
  st.save(model, join(dir, 'm.safetensors'));

  const loaded = st.load(join(dir, 'm'));
  assert.equal(loaded.training, false);
  assert.ok(loaded.modules().every((m) => !m.training));
  assert.equal(st.load(join(dir, 'm.safetensors')).training, false);

  const ckpt = st.loadCheckpoint(join(dir, 'm'));
  const file = st.loadCheckpoint(join(dir, 'm.safetensors'));
  const decoded = st.decodeModel({
    config: readFileSync(join(dir, 'm', 'config.json')),
    weights: readFileSync(join(dir, 'm', 'model.safetensors')),
  });
  const decodedFile = st.decodeModelFile(readFileSync(join(dir, 'm.safetensors')));
  for (const r of [ckpt, file, decoded, decodedFile]) {
    assert.ok(r.model instanceof st.Module);
    assert.equal(r.model.training, true, 'resuming keeps the saved training flag');
    assert.equal(r.config.format, st.MODEL_FORMAT);
  }
  assert.deepEqual(Object.keys(ckpt).sort(), ['config', 'model', 'optimizer']);
  assert.deepEqual(Object.keys(decoded).sort(), ['config', 'model']);
  assert.deepEqual(Object.keys(decodedFile).sort(), ['config', 'model']);
  // An ONNX file loads in eval mode too.
  const onnx = st.importOnnx(st.exportOnnx(model, st.randn([1, 3])));
  assert.equal(onnx.training, false);
});

test('optimizer state round-trips as typed arrays, bit for bit, and JSON stateDict stays the default', () => {
  const model = net();
  const opt = new st.Adam(model.parameters(), { lr: 0.1, amsgrad: true });
  model.zeroGrad();
  st.mseLoss(model.eval().forward(st.randn([5, 3], { seed: 4 })), st.zeros([5, 2])).backward();
  opt.step();
  const json = opt.stateDict();
  assert.ok(Array.isArray(json.state['0']!['expAvg']));
  const typed = opt.stateDict({ buffers: 'typed' });
  const view = opt.stateDict({ buffers: 'view' });
  const live = [...opt.state.values()][0] as unknown as { expAvg: Float32Array };
  assert.ok(typed.state['0']!['expAvg'] instanceof Float32Array);
  assert.notEqual(typed.state['0']!['expAvg'], live.expAvg, "'typed' copies");
  assert.equal(view.state['0']!['expAvg'], live.expAvg, "'view' is the live buffer");

  const bytes = st.encodeOptimizerState('Adam', typed);
  const back = st.decodeOptimizerState(bytes);
  const fresh = new st.Adam(net().parameters(), { lr: 0.1, amsgrad: true });
  fresh.loadStateDict(back.state);
  // The restored state equals the JSON form of the original, value for value.
  assert.deepEqual(JSON.parse(JSON.stringify(fresh.stateDict())), JSON.parse(JSON.stringify(json)));
  // The number-array form still loads.
  const fromJson = new st.Adam(net().parameters(), { lr: 0.1, amsgrad: true });
  fromJson.loadStateDict(JSON.parse(JSON.stringify(json)) as st.OptimizerStateDict);
  assert.deepEqual(fromJson.stateDict(), json);
});

test('modelOutputFormat maps an output extension to a format and refuses one that names none', () => {
  assert.equal(st.modelOutputFormat('out/model.onnx'), 'onnx');
  assert.equal(st.modelOutputFormat('out/model.SAFETENSORS'), 'safetensors');
  assert.equal(st.modelOutputFormat('out/model'), 'stride');
  assert.equal(st.modelOutputFormat('out/model/'), 'stride');
  assert.equal(st.modelOutputFormat(join(dir, 'm')), 'stride');
  assert.throws(
    () => st.modelOutputFormat('model.onxx'),
    /extension '.onxx', which names no model format Stride writes.*Fix: end it in .onnx/,
  );
  assert.throws(
    () => st.modelOutputFormat('model.json'),
    /reads TF.js model.json files but does not write TF.js/,
  );
  assert.throws(
    () => st.convert(join(dir, 'm'), join(dir, 'copy.pt')),
    /convert: the output .*copy.pt' has the extension '.pt'/,
  );
});

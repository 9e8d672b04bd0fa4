import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as st from '../../src/node.js';

const dir = mkdtempSync(join(tmpdir(), 'stride-card-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const card: st.ModelCard = {
  task: 'classification',
  classNames: ['cat', 'dog', 'ant'],
  preprocessing: {
    size: [4, 4],
    channels: 3,
    colorOrder: 'bgr',
    scale: 1 / 255,
    mean: [0.5, 0.4, 0.3],
    std: [0.2, 0.2, 0.25],
    fit: 'cover',
  },
};

function cnn(): st.Sequential {
  const rng = new st.Rng(3);
  return new st.Sequential(
    new st.Conv2d(3, 4, 3, { padding: 'same', rng }),
    new st.ReLU(),
    new st.AdaptiveAvgPool2d(1),
    new st.Flatten(),
    new st.Linear(4, 3, { rng }),
  );
}

test('the model card travels through a model directory and a single .safetensors file', () => {
  const model = st.setModelCard(cnn(), card);
  st.save(model, join(dir, 'm'));
  const config = JSON.parse(readFileSync(join(dir, 'm', 'config.json'), 'utf8'));
  assert.deepEqual(config.classNames, card.classNames);
  assert.deepEqual(config.preprocessing, card.preprocessing);
  assert.deepEqual(st.modelCard(st.load(join(dir, 'm'))), card);
  st.save(model, join(dir, 'm.safetensors'));
  const header = st.readSafetensorsHeader(readFileSync(join(dir, 'm.safetensors')));
  assert.match(header.metadata['stride.model']!, /"classNames":\["cat","dog","ant"\]/);
  const loaded = st.load(join(dir, 'm.safetensors'));
  assert.deepEqual(loaded.classNames, ['cat', 'dog', 'ant']);
  assert.equal(loaded.preprocessing?.colorOrder, 'bgr');
  assert.equal(loaded.task, 'classification');
});

test('a corrupt card in a config is refused naming the field', () => {
  const files = st.encodeModel(st.setModelCard(cnn(), card));
  const bad = files.config.replace('"bgr"', '"grb"');
  assert.throws(
    () => st.decodeModel({ config: bad, weights: files.weights }, { file: 'x/config.json' }),
    /x\/config.json.*'preprocessing.colorOrder' must be 'rgb' or 'bgr'/s,
  );
});

test('ONNX export writes the card to metadata_props and the input shape; import reads both back', () => {
  const model = st.setModelCard(cnn(), card);
  const bytes = st.exportOnnx(model, st.randn([1, 3, 4, 4]));
  const proto = st.decodeOnnxModel(bytes);
  assert.equal(proto.metadata['stride.task'], 'classification');
  assert.deepEqual(JSON.parse(proto.metadata['stride.class_names']!), card.classNames);
  assert.deepEqual(proto.graph.inputs[0]!.shape, ['N', 3, 4, 4]);
  const imported = st.importOnnx(bytes);
  assert.deepEqual(st.modelCard(imported), card);
  // An Ultralytics-style `names` dict is read as class names; the declared input shape gives the size.
  const plain = st.exportOnnx(cnn(), st.randn([1, 3, 5, 6]));
  const p2 = st.decodeOnnxModel(plain);
  p2.metadata = { names: "{0: 'person', 1: 'bicycle', 2: 'car'}" };
  const yolo = st.importOnnx(p2);
  assert.deepEqual(yolo.classNames, ['person', 'bicycle', 'car']);
  assert.deepEqual(st.resolvePreprocessing(yolo).size, [5, 6]);
});

test('fit records class names and the normalized image preprocessing from the dataset', async () => {
  const n = 6;
  const data = Float32Array.from({ length: n * 3 * 4 * 4 }, (_, i) => (i % 7) / 7);
  const raw = new st.TensorDataset({
    data,
    labels: Int32Array.from([0, 1, 2, 0, 1, 2]),
    sampleShape: [3, 4, 4],
    classNames: ['cat', 'dog', 'ant'],
    preprocessing: { size: [4, 4], channels: 3, scale: 1 / 255 },
  });
  const stats = { mean: [0.5, 0.25, 0.1], std: [0.2, 0.5, 0.4] };
  const ds = st.normalizeDataset(raw, stats);
  const model = cnn();
  await model.fit(ds, {
    epochs: 1,
    batchSize: 3,
    optimizer: new st.SGD(model.parameters(), { lr: 0.01 }),
    verbose: 0,
  });
  assert.deepEqual(model.classNames, ['cat', 'dog', 'ant']);
  assert.equal(model.task, 'classification');
  assert.deepEqual(model.preprocessing, {
    size: [4, 4],
    channels: 3,
    scale: 1 / 255,
    mean: stats.mean,
    std: stats.std,
  });
  // Preprocessing a raw item the model's way gives exactly the normalized item it was trained on.
  const x = await st.preprocess(model, raw.get(1).x);
  const want = ds.get(1).x.data;
  x.data.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-5));
  // Normalizing twice composes: ((x - m1) / s1 - m2) / s2.
  const twice = st.normalizeDataset(ds, { mean: [1, 1, 1], std: [2, 2, 2] });
  assert.deepEqual(twice.preprocessing?.mean, [0.5 + 0.2, 0.25 + 0.5, 0.1 + 0.4]);
  assert.deepEqual(twice.preprocessing?.std, [0.4, 1, 0.8]);
});

test('model.summary() prints the table and returns it; st.summary stays data', () => {
  const model = st.setModelCard(cnn(), card);
  const printed: string[] = [];
  const text = model.summary({ print: (t) => printed.push(t) });
  assert.equal(printed[0], text);
  assert.match(text, /Conv2d/);
  assert.match(text, /\[4, 4, 4\]/);
  assert.equal(st.summary(model, [3, 4, 4]).layers.length > 0, true);
});

test('TF.js: class names in userDefinedMetadata and the Keras input shape are read on import', async () => {
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  const input = tf.input({ shape: [6, 5, 3] });
  const out = tf.layers
    .dense({ units: 2 })
    .apply(tf.layers.flatten().apply(input)) as import('@tensorflow/tfjs').SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  model.setUserDefinedMetadata({ labels: ['no', 'yes'], 'stride.task': 'classification' });
  let saved: import('@tensorflow/tfjs').io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const json = {
    format: 'layers-model',
    modelTopology: saved!.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: saved!.weightSpecs }],
    userDefinedMetadata: saved!.userDefinedMetadata,
  };
  const g = st.importTfjs(json, new Uint8Array(saved!.weightData as ArrayBuffer));
  assert.deepEqual(g.classNames, ['no', 'yes']);
  assert.equal(g.task, 'classification');
  const r = st.resolvePreprocessing(g);
  assert.deepEqual([r.channels, r.size], [3, [6, 5]]);
});

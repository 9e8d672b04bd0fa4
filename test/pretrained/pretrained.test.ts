// st.pretrained: backbones from npm packages, checked against the packages' own tfjs runs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as st from '../../src/node.js';
import { assertClose } from '../helpers/assert-close.js';
import { nsfwjsModel, nsfwjsPhotoSkip, photo, SKIMAGE_DATA } from '../io/helpers/npm-models.js';

const model = nsfwjsModel('mobilenet_v2');
const skip = nsfwjsPhotoSkip(model);

test('list() names each backbone, its input, preprocessing and the npm package that provides it', () => {
  const list = st.pretrained.list();
  const mobilenet = list.find((e) => e.name === 'mobilenet_v2')!;
  assert.equal(mobilenet.package, 'nsfwjs');
  assert.deepEqual(mobilenet.inputShape, [3, 224, 224]);
  assert.equal(mobilenet.install, 'npm install nsfwjs');
  assert.equal(mobilenet.installed, model !== null);
  const face = list.find((e) => e.name === 'face_recognition')!;
  assert.equal(face.package, '@vladmandic/face-api');
  assert.equal(face.preprocessing.scale, 1);
});

test('a missing package is one line naming the npm install that adds it', () => {
  assert.throws(
    () => st.pretrained.requirePackage('pretrained.load', 'stride-no-such-package', "the backbone 'x'"),
    (e: Error) =>
      !e.message.includes('\n') &&
      /needs the npm package stride-no-such-package.*Fix: npm install stride-no-such-package/.test(e.message),
  );
  assert.throws(
    () => st.pretrained.load('resnet_9000'),
    /no pretrained backbone named 'resnet_9000'. Known: mobilenet_v2/,
  );
});

test(
  "nsfwjs' NSFW head is never loaded: includeTop is refused",
  { skip: model ? false : 'nsfwjs is not installed' },
  () => {
    assert.throws(
      () => st.pretrained.load('mobilenet_v2', { includeTop: true }),
      /loaded without its top: its top is nsfwjs' 5-class NSFW classifier, not ImageNet/,
    );
    const g = st.pretrained.load('mobilenet_v2');
    assert.ok(!g.nodes().some((n) => n.name.startsWith('dense')), 'no dense layer of the NSFW head');
    assert.equal(st.pretrained.blocks(g).at(-1)!.name, 'head_conv');
  },
);

test(
  'mobilenet_v2 with avg pooling gives the features tfjs computes on a real photo, also after a safetensors round trip',
  { skip },
  async () => {
    const g = st.pretrained.load('mobilenet_v2', { pooling: 'avg' });
    assert.deepEqual(g.preprocessing?.size, [224, 224]);
    const p = await photo('astronaut.png', 224, 1 / 255);
    // The card's preprocessing (st.preprocess) gives the same input as nsfwjs' pixels / 255.
    const x = await st.preprocess(g, join(SKIMAGE_DATA, 'astronaut.png'));
    assertClose(x, p.nchw, { atol: 1e-6, rtol: 0 });
    const got = st.noGrad(() => g.forward(x));
    assert.deepEqual(got.shape, [1, 1280]);

    const { json, data } = model!;
    await tf.setBackend('cpu');
    const reference = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: (json as { modelTopology: object }).modelTopology,
        weightSpecs: st.tfjsWeightGroups(json).flatMap((gr) => gr.weights),
        weightData: data.slice().buffer,
      }),
    );
    const trunk = tf.model({ inputs: reference.inputs, outputs: reference.getLayer('out_relu').output });
    const fmap = trunk.predict(tf.tensor4d(p.nhwc, [1, 224, 224, 3])) as tf.Tensor;
    const want = Array.from(await tf.mean(fmap, [1, 2]).data());
    assertClose(got, want, { atol: 1e-4, rtol: 1e-4 });

    const dir = mkdtempSync(join(tmpdir(), 'stride-pretrained-'));
    try {
      const file = join(dir, 'backbone.safetensors');
      st.saveSafetensors(g.stateDict(), file);
      const fresh = st.pretrained.load('mobilenet_v2', { pooling: 'avg' });
      for (const prm of fresh.parameters()) prm.data.fill(0);
      fresh.loadStateDict(st.loadSafetensors(file).tensors);
      assertClose(
        st.noGrad(() => fresh.forward(x)),
        want,
        { atol: 1e-4, rtol: 1e-4 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('face_recognition without its top pools the 256-channel feature map; with it, the 128-D descriptor', () => {
  const g = st.pretrained.load('face_recognition', { pooling: 'max' });
  const x = st.rand([1, 3, 150, 150]).mul(255);
  assert.deepEqual(st.noGrad(() => g.forward(x)).shape, [1, 256]);
  const top = st.pretrained.load('face_recognition', { includeTop: true });
  assert.deepEqual(st.noGrad(() => top.forward(x)).shape, [1, 128]);
  assert.equal(st.pretrained.blocks(g).at(-1)!.name, 'conv256_down_out', 'no fc block without the top');
});

test(
  'blocks() knows a backbone brought back by st.save / st.load (a new graph object) by its layer names',
  { skip: model ? false : 'nsfwjs is not installed' },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'stride-pretrained-'));
    try {
      for (const [name, opts] of [
        ['mobilenet_v2', { pooling: 'avg' }],
        ['face_recognition', {}],
        ['face_recognition', { includeTop: true }],
      ] as const) {
        const g = st.pretrained.load(name, opts);
        const file = join(dir, `${name}.safetensors`);
        st.save(g, file);
        const loaded = st.load(file);
        assert.ok(loaded instanceof st.Graph);
        assert.deepEqual(
          st.pretrained.blocks(loaded),
          st.pretrained.blocks(g),
          `${name} ${JSON.stringify(opts)}`,
        );
        // ...and the blocks select the loaded graph's layers: unfreezing the top one trains exactly them.
        const blocks = st.pretrained.blocks(loaded);
        st.unfreezeTopBlocks(loaded, blocks, 1);
        const trainable = loaded.namedParameters().filter(([, p]) => p.requiresGrad);
        assert.ok(trainable.length > 0, `${name}: the top block has parameters`);
      }
      // The catalog's block names are the evidence: a graph of other layers is refused, naming the backbones.
      const other = new st.Graph();
      other.output(other.add('dense', new st.Linear(4, 2), other.input()));
      assert.throws(
        () => st.pretrained.blocks(other),
        /not a backbone of st.pretrained \(its layer names match none of mobilenet_v2, inception_v3, face_recognition\)/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

const inception = nsfwjsModel('inception_v3');
test(
  'inception_v3 with avg pooling gives the pooled mixed10 features tfjs computes on a real photo, also after st.save/st.load; its blocks cover every convolution once',
  { skip: nsfwjsPhotoSkip(inception) },
  async () => {
    const g = st.pretrained.load('inception_v3', { pooling: 'avg' });
    assert.deepEqual(g.preprocessing?.size, [299, 299]);
    assert.throws(
      () => st.pretrained.load('inception_v3', { includeTop: true }),
      /NSFW classifier, not ImageNet/,
    );
    assert.ok(!g.nodes().some((n) => n.name.startsWith('dense')), 'no dense layer of the NSFW head');
    // Every convolution and batch norm of the trunk is in exactly one block, and blocks follow the graph:
    // block mixedK's layers feed mixedK and not mixed(K-1).
    const blocks = st.pretrained.blocks(g);
    assert.equal(blocks.length, 12);
    const steps = g.nodes();
    const ancestors = (name: string): Set<string> => {
      const seen = new Set<string>();
      const stack = [name];
      while (stack.length > 0) {
        const n = stack.pop()!;
        if (seen.has(n)) continue;
        seen.add(n);
        stack.push(...steps.find((s) => s.name === n)!.inputs);
      }
      return seen;
    };
    const layers = steps.filter((s) => /^(conv2d|batch_normalization)_\d+$/.test(s.name)).map((s) => s.name);
    assert.equal(layers.length, 188);
    assert.deepEqual(blocks.flatMap((b) => b.patterns).sort(), [...layers].sort());
    blocks.forEach((b, k) => {
      if (k === 0) return;
      const into = ancestors(b.name);
      const before = k > 1 ? ancestors(blocks[k - 1]!.name) : new Set<string>();
      for (const p of b.patterns) assert.ok(into.has(p) && !before.has(p), `${p} in ${b.name}`);
    });

    const p = await photo('astronaut.png', 299, 1 / 255);
    const x = await st.preprocess(g, join(SKIMAGE_DATA, 'astronaut.png'));
    assertClose(x, p.nchw, { atol: 1e-6, rtol: 0 });
    const got = st.noGrad(() => g.forward(x));
    assert.deepEqual(got.shape, [1, 2048]);
    const { json, data } = inception!;
    await tf.setBackend('cpu');
    const reference = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: (json as { modelTopology: object }).modelTopology,
        weightSpecs: st.tfjsWeightGroups(json).flatMap((gr) => gr.weights),
        weightData: data.slice().buffer,
      }),
    );
    const trunk = tf.model({ inputs: reference.inputs, outputs: reference.getLayer('mixed10').output });
    const fmap = trunk.predict(tf.tensor4d(p.nhwc, [1, 299, 299, 3])) as tf.Tensor;
    const want = Array.from(await tf.mean(fmap, [1, 2]).data());
    assertClose(got, want, { atol: 1e-4, rtol: 1e-4 });

    // st.save / st.load (architecture + weights + model card in one file) keeps the features.
    const dir = mkdtempSync(join(tmpdir(), 'stride-pretrained-'));
    try {
      const file = join(dir, 'inception.safetensors');
      st.save(g, file);
      const loaded = st.load(file);
      assert.deepEqual(loaded.preprocessing, g.preprocessing);
      assertClose(
        st.noGrad(() => loaded.forward(x)),
        want,
        { atol: 1e-4, rtol: 1e-4 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

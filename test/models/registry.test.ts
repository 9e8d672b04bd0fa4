import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { torchvisionFacts } from './zoo-helpers.js';

const facts = torchvisionFacts();

describe('listModels / getModel', () => {
  const list = st.listModels();
  const byName = new Map(list.map((m) => [m.name, m]));

  it('lists every zoo function under its torchvision spelling', () => {
    assert.deepEqual(
      list.map((m) => m.name),
      [...st.modelNames],
    );
    for (const name of st.modelNames)
      assert.equal(typeof (st.models as Record<string, unknown>)[name], 'function', name);
    for (const name of [
      'vgg16_bn',
      'resnext50_32x4d',
      'squeezenet1_0',
      'mobilenet_v2',
      'densenet121',
      'wide_resnet50_2',
    ])
      assert.ok(byName.has(name), name);
  });

  it("reports torchvision's parameter counts and multiply-adds at 224x224 for every model torchvision has", () => {
    for (const [name, f] of Object.entries(facts.models)) {
      const info = byName.get(name)!;
      assert.equal(info.params, f.params, `${name} params`);
      assert.equal(info.macs, f.macs, `${name} MACs`);
      assert.deepEqual(info.inputShape, [3, 224, 224]);
      assert.equal(info.numClasses, 1000);
    }
  });

  it("separates GoogLeNet's auxiliary heads: 13,004,888 built, 6,624,904 used by the eval forward", () => {
    assert.equal(byName.get('googlenet')!.params, 13_004_888);
    assert.equal(byName.get('googlenet')!.forwardParams, 6_624_904);
    assert.equal(byName.get('resnet50')!.forwardParams, 25_557_032);
  });

  it('reports the hand-counted models at their own input sizes', () => {
    const expect: [string, number, number[], number][] = [
      ['lenet5', 61_706, [1, 32, 32], 10],
      ['zfnet', 62_357_608, [3, 224, 224], 1000],
      ['se_resnet50', 28_088_024, [3, 224, 224], 1000],
      ['mobilenet_v1', 4_231_976, [3, 224, 224], 1000],
      ['convnetjs_cifar10', 22_466, [3, 32, 32], 10],
    ];
    for (const [name, params, shape, classes] of expect) {
      const info = byName.get(name)!;
      assert.equal(info.params, params, name);
      assert.deepEqual(info.inputShape, shape, name);
      assert.equal(info.numClasses, classes, name);
    }
  });

  it('getModel builds by name with options, and lists the names for an unknown one', () => {
    const m = st.getModel('resnet18', { numClasses: 5, init: false });
    assert.equal((m.getSubmodule('fc') as st.Linear).outFeatures, 5);
    assert.throws(
      () => st.getModel('resnet51'),
      (e: Error) => e instanceof st.ValueError && /resnet50/.test(e.message),
    );
    assert.throws(() => st.getModel('toString'), st.ValueError);
    const modern = st.getModel('lenet5', { variant: 'modern' });
    assert.deepEqual(st.summary(modern).inputShape, [1, 28, 28]);
  });

  it('validates the common options', () => {
    assert.throws(() => st.models.resnet18({ numClasses: 0 }), /numClasses must be an integer >= 1/);
    assert.throws(() => st.models.vgg11({ inChannels: 2.5 }), /inChannels must be an integer >= 1/);
  });
});

/**
 * Serializers of the segmentation models' layers (registered when this module loads), so that
 * `st.save` / `st.load` store and rebuild `fcn_resnet50`, `deeplabv3_resnet50`,
 * `lraspp_mobilenet_v3_large`, `fcn8s(...)` and the MobileNetV3 classifiers like any other model.
 * Heads built from a few numbers store those numbers (read back from their layers); the
 * {@link SegmentationModel} wrapper stores its backbone and heads as nested layer specs.
 */
import { ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import { ASPP } from '../models/deeplabv3.js';
import { FCN8sHead } from '../models/fcn.js';
import { LRASPPHead } from '../models/lraspp.js';
import { SegmentationModel } from '../models/segmentation-model.js';
import { SqueezeExcitation } from '../models/senet.js';
import { Conv2d } from '../nn/conv.js';
import type { ConfigReader } from './config-reader.js';
import type { JsonObject } from './json-value.js';
import { registerLayer, type BuildContext, type LayerSerializer } from './layer-registry.js';

/** Parameter and buffer elements of a k x k convolution in -> out (bias optional). */
const conv = (inC: number, outC: number, k = 1, bias = true): number =>
  inC * outC * k * k + (bias ? outC : 0);
/** Parameter and buffer elements of an affine batch norm that tracks running statistics. */
const bn = (n: number): number => 4 * n + 1;

/** The first Conv2d inside `m` (depth first), for reading a head's channel counts back. */
function firstConv(m: Module): Conv2d {
  const found = m.modules().find((x): x is Conv2d => x instanceof Conv2d);
  if (!found)
    throw new ValueError('save', `a ${m.constructor.name} with no Conv2d inside cannot be described`);
  return found;
}

function buildSequential(c: ConfigReader, ctx: BuildContext, key: string): Sequential {
  const m = ctx.build(c.raw(key), c.where ? `${c.where}.${key}` : key);
  return m instanceof Sequential ? m : c.fail(key, 'a Sequential backbone');
}

const serializers: LayerSerializer[] = [
  {
    type: 'SegmentationModel',
    cls: SegmentationModel,
    toConfig: (m: SegmentationModel, ctx, path) => {
      const at = (n: string): string => (path ? `${path}.${n}` : n);
      const cfg: JsonObject = {
        backbone: ctx.spec(m.backbone, at('backbone')) as unknown as JsonObject,
        classifier: ctx.spec(m.classifier, at('classifier')) as unknown as JsonObject,
        taps: [...m.taps],
      };
      if (m.aux_classifier && m.auxTap !== null) {
        cfg['auxTap'] = m.auxTap;
        cfg['aux_classifier'] = ctx.spec(m.aux_classifier, at('aux_classifier')) as unknown as JsonObject;
      }
      return cfg;
    },
    fromConfig: (c, ctx) => {
      const at = (n: string): string => (c.where ? `${c.where}.${n}` : n);
      const aux = c.has('auxTap')
        ? { tap: c.string('auxTap'), classifier: ctx.build(c.raw('aux_classifier'), at('aux_classifier')) }
        : undefined;
      return new SegmentationModel(
        buildSequential(c, ctx, 'backbone'),
        ctx.build(c.raw('classifier'), at('classifier')),
        c.stringList('taps'),
        aux,
      );
    },
    stateSize: (c, ctx) => {
      const at = (n: string): string => (c.where ? `${c.where}.${n}` : n);
      return (
        ctx.stateSize(c.raw('backbone'), at('backbone')) +
        ctx.stateSize(c.raw('classifier'), at('classifier')) +
        (c.has('auxTap') ? ctx.stateSize(c.raw('aux_classifier'), at('aux_classifier')) : 0)
      );
    },
  },
  {
    type: 'FCN8sHead',
    cls: FCN8sHead,
    toConfig: (m: FCN8sHead) => ({
      channels: [m.score8.inChannels, m.score16.inChannels, m.score32.inChannels],
      numClasses: m.score8.outChannels,
    }),
    fromConfig: (c) => {
      const ch = c.intList('channels', 1);
      if (ch.length !== 3) c.fail('channels', 'three channel counts (strides 8, 16, 32)');
      return new FCN8sHead(ch as [number, number, number], c.int('numClasses', undefined, 1));
    },
    stateSize: (c) => {
      const n = c.int('numClasses', undefined, 1);
      return c.intList('channels', 1).reduce((s, k) => s + conv(k, n), 0);
    },
  },
  {
    type: 'ASPP',
    cls: ASPP,
    toConfig: (m: ASPP) => {
      const branches = m.convs.children();
      const first = firstConv(branches[0]!);
      return {
        inChannels: first.inChannels,
        rates: branches.slice(1, -1).map((b) => firstConv(b).dilation[0]),
        outChannels: first.outChannels,
      };
    },
    fromConfig: (c) =>
      new ASPP(c.int('inChannels', undefined, 1), c.intList('rates', 1), c.int('outChannels', undefined, 1)),
    stateSize: (c) => {
      const i = c.int('inChannels', undefined, 1);
      const o = c.int('outChannels', undefined, 1);
      const r = c.intList('rates', 1).length;
      // 1x1 branch, one 3x3 branch per rate, image pooling branch, then the 1x1 projection.
      return (
        conv(i, o, 1, false) +
        bn(o) +
        r * (conv(i, o, 3, false) + bn(o)) +
        conv(i, o, 1, false) +
        bn(o) +
        conv((r + 2) * o, o, 1, false) +
        bn(o)
      );
    },
  },
  {
    type: 'LRASPPHead',
    cls: LRASPPHead,
    toConfig: (m: LRASPPHead) => ({
      lowChannels: m.low_classifier.inChannels,
      highChannels: firstConv(m.cbr).inChannels,
      numClasses: m.low_classifier.outChannels,
      interChannels: m.high_classifier.inChannels,
    }),
    fromConfig: (c) =>
      new LRASPPHead(
        c.int('lowChannels', undefined, 1),
        c.int('highChannels', undefined, 1),
        c.int('numClasses', undefined, 1),
        c.int('interChannels', undefined, 1),
      ),
    stateSize: (c) => {
      const low = c.int('lowChannels', undefined, 1);
      const high = c.int('highChannels', undefined, 1);
      const n = c.int('numClasses', undefined, 1);
      const inter = c.int('interChannels', undefined, 1);
      return (
        conv(high, inter, 1, false) + bn(inter) + conv(high, inter, 1, false) + conv(low, n) + conv(inter, n)
      );
    },
  },
  {
    type: 'SqueezeExcitation',
    cls: SqueezeExcitation,
    toConfig: (m: SqueezeExcitation, ctx, path) => ({
      channels: m.fc1.inChannels,
      reduced: m.fc1.outChannels,
      gate: ctx.spec(m.gate, path ? `${path}.gate` : 'gate') as unknown as JsonObject,
    }),
    fromConfig: (c, ctx) =>
      new SqueezeExcitation(
        c.int('channels', undefined, 1),
        c.int('reduced', undefined, 1),
        ctx.build(c.raw('gate'), c.where ? `${c.where}.gate` : 'gate'),
      ),
    stateSize: (c, ctx) => {
      const ch = c.int('channels', undefined, 1);
      const r = c.int('reduced', undefined, 1);
      return conv(ch, r) + conv(r, ch) + ctx.stateSize(c.raw('gate'), c.where ? `${c.where}.gate` : 'gate');
    },
  },
];

for (const s of serializers) registerLayer(s);

/** The type names this module registers. */
export const SEGMENTATION_LAYER_TYPES: readonly string[] = serializers.map((s) => s.type);

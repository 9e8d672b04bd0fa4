import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertZooParity } from './zoo-helpers.js';

// resnet18, resnet50 and resnext50_32x4d run against torchvision's logits in resnet.test.ts; the
// deeper and wider members run here on a batch of two 32x32 images (the smallest size their five
// stride-2 stages leave 1x1), against torchvision's logits for the same hash-filled weights.
describe('ResNet family forward passes at 32x32', () => {
  const nets: [string, (o?: st.models.ResNetOptions) => st.Module][] = [
    ['resnet34', st.models.resnet34],
    ['resnet101', st.models.resnet101],
    ['resnet152', st.models.resnet152],
    ['wide_resnet50_2', st.models.wide_resnet50_2],
  ];
  for (const [name, build] of nets) {
    it(`${name} computes torchvision's logits (hash-filled weights, 2x3x32x32 input, eval mode)`, () => {
      assertZooParity(build({ numClasses: 10, init: false }), name);
    });
  }
});

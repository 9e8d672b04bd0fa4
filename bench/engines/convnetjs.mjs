// ConvNetJS as a benchmark engine (one thread, Float64Array math, one image at a time: a training
// step of batch B is B calls of Trainer.train with batch_size B, which updates once per batch).
import { createRequire } from 'node:module';
import { serve } from './engine-loop.mjs';

const require = createRequire(import.meta.url);
const convnetjs = require('convnetjs');

function randomVol(sx, sy, depth) {
  const v = new convnetjs.Vol(sx, sy, depth, 0);
  for (let i = 0; i < v.w.length; i++) v.w[i] = Math.random() * 2 - 1;
  return v;
}

function trainStep(layers, batch, size, depth) {
  const net = new convnetjs.Net();
  net.makeLayers(layers);
  const trainer = new convnetjs.Trainer(net, {
    method: 'sgd',
    learning_rate: 0.01,
    momentum: 0,
    batch_size: batch,
    l2_decay: 0,
  });
  const images = Array.from({ length: batch }, () => randomVol(size, size, depth));
  const labels = Array.from({ length: batch }, () => Math.floor(Math.random() * 10));
  return () => {
    for (let i = 0; i < batch; i++) trainer.train(images[i], labels[i]);
  };
}

const state = new Map();

serve({
  info() {
    return { name: 'ConvNetJS', version: require('convnetjs/package.json').version, threads: 1 };
  },
  setup(workload) {
    let step;
    if (workload === 'w5-conv') {
      const layer = new convnetjs.ConvLayer({
        in_sx: 56,
        in_sy: 56,
        in_depth: 64,
        sx: 3,
        filters: 64,
        stride: 1,
        pad: 1,
      });
      const x = randomVol(56, 56, 64);
      step = () => layer.forward(x, false);
    } else if (workload === 'w1') {
      step = trainStep(
        [
          { type: 'input', out_sx: 28, out_sy: 28, out_depth: 1 },
          { type: 'conv', sx: 5, filters: 6, stride: 1, pad: 2, activation: 'relu' },
          { type: 'pool', sx: 2, stride: 2 },
          { type: 'conv', sx: 5, filters: 16, stride: 1, pad: 0, activation: 'relu' },
          { type: 'pool', sx: 2, stride: 2 },
          { type: 'fc', num_neurons: 120, activation: 'relu' },
          { type: 'fc', num_neurons: 84, activation: 'relu' },
          { type: 'softmax', num_classes: 10 },
        ],
        64,
        28,
        1,
      );
    } else if (workload === 'w2') {
      step = trainStep(
        [
          { type: 'input', out_sx: 32, out_sy: 32, out_depth: 3 },
          { type: 'conv', sx: 5, filters: 16, stride: 1, pad: 2, activation: 'relu' },
          { type: 'pool', sx: 2, stride: 2 },
          { type: 'conv', sx: 5, filters: 20, stride: 1, pad: 2, activation: 'relu' },
          { type: 'pool', sx: 2, stride: 2 },
          { type: 'conv', sx: 5, filters: 20, stride: 1, pad: 2, activation: 'relu' },
          { type: 'pool', sx: 2, stride: 2 },
          { type: 'softmax', num_classes: 10 },
        ],
        32,
        32,
        3,
      );
    } else {
      throw new Error(`convnetjs: no workload ${workload}`);
    }
    step();
    state.set(workload, step);
    return undefined;
  },
  run(workload) {
    state.get(workload)();
  },
});

import { noGrad } from '../autograd/grad-mode.js';
import { canvasBatch, type DetectionSample } from '../data/digit-canvas.js';
import { ValueError } from '../errors.js';
import type { Sequential } from '../nn/sequential.js';
import { Adam } from '../optim/adam.js';
import { manualSeed, Rng } from '../tensor/random.js';
import { nms } from '../vision/nms.js';
import { evaluateDetections } from './average-precision.js';
import { decodeYolo, type Detections } from './box-coder.js';
import { kmeansAnchors } from './kmeans-anchors.js';
import { decodeYoloV1, yoloTiny, yoloV1Loss, yoloV2Loss } from './yolo.js';

/** A trained YOLO with what its decode needs. */
export interface YoloModel {
  net: Sequential;
  head: 'v1' | 'v2';
  numClasses: number;
  /** Input pixels per grid cell. */
  stride: number;
  /** v2: anchors [w, h] in grid cells; v1: empty. */
  anchors: [number, number][];
  /** v1: boxes per cell. */
  boxesPerCell: number;
}

/** Options of {@link trainYolo}. */
export interface TrainYoloOptions {
  head: 'v1' | 'v2';
  numClasses: number;
  epochs: number;
  batchSize?: number;
  /** Peak Adam learning rate, decayed by a cosine to 0 (default 0.003). */
  lr?: number;
  seed?: number;
  /** Channels of the first convolution (default 16). */
  width?: number;
  /** v2: anchors from k-means on the training boxes (default 3); v1: boxes per cell (default 2). */
  boxesPerCell?: number;
  /** Called after every epoch with the mean loss and the seconds it took. */
  onEpoch?: (epoch: number, loss: number, seconds: number) => void;
}

/**
 * Train a {@link yoloTiny} detector on canvases (`digitCanvases` / `loadMnistDetection`): anchors
 * (v2) from YOLOv2's k-means on the training boxes, Adam with cosine decay, the decks' YOLOv1 loss
 * or the anchor-based YOLOv2 loss. The network trains in train mode and is returned in eval mode.
 */
export function trainYolo(train: readonly DetectionSample[], opts: TrainYoloOptions): YoloModel {
  if (train.length === 0) throw new ValueError('trainYolo', 'the training set is empty');
  manualSeed(opts.seed ?? 0);
  const stride = 8;
  const B = opts.boxesPerCell ?? (opts.head === 'v1' ? 2 : 3);
  const sizes = train.flatMap((s) =>
    s.boxes.map((b) => [(b[2] - b[0]) / stride, (b[3] - b[1]) / stride] as [number, number]),
  );
  const anchors = opts.head === 'v2' ? kmeansAnchors(sizes, B, { seed: opts.seed ?? 0 }).anchors : [];
  const net = yoloTiny({
    inChannels: 1,
    numClasses: opts.numClasses,
    head: opts.head,
    boxesPerCell: B,
    width: opts.width,
  });
  const model: YoloModel = {
    net,
    head: opts.head,
    numClasses: opts.numClasses,
    stride,
    anchors,
    boxesPerCell: B,
  };
  const bs = opts.batchSize ?? 32;
  const lr = opts.lr ?? 0.003;
  const optimizer = new Adam(net.parameters(), { lr });
  const rng = new Rng(opts.seed ?? 0);
  const steps = opts.epochs * Math.ceil(train.length / bs);
  let step = 0;
  net.train();
  for (let e = 0; e < opts.epochs; e++) {
    const t0 = performance.now();
    const order = [...train.keys()];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let total = 0;
    for (let s = 0; s < order.length; s += bs) {
      const idx = order.slice(s, s + bs);
      const x = canvasBatch(train, idx);
      const targets = idx.map((i) => train[i]!);
      for (const g of optimizer.paramGroups) g.lr = (lr * (1 + Math.cos((Math.PI * step) / steps))) / 2;
      optimizer.zeroGrad();
      const pred = net.forward(x);
      const loss =
        opts.head === 'v1'
          ? yoloV1Loss(pred, targets, { boxesPerCell: B, numClasses: opts.numClasses, stride })
          : yoloV2Loss(pred, targets, { anchors, numClasses: opts.numClasses, stride });
      loss.backward();
      optimizer.step();
      total += loss.item() * idx.length;
      step++;
    }
    opts.onEpoch?.(e + 1, total / train.length, (performance.now() - t0) / 1000);
  }
  net.eval();
  return model;
}

/** Detections of a trained YOLO on canvases: decode, score threshold, per-class NMS. */
export function predictYolo(
  model: YoloModel,
  samples: readonly DetectionSample[],
  opts: { scoreThreshold?: number; iouThreshold?: number; batchSize?: number } = {},
): Detections[] {
  const thr = opts.scoreThreshold ?? 0.05;
  const out: Detections[] = [];
  const bs = opts.batchSize ?? 64;
  for (let s = 0; s < samples.length; s += bs) {
    const idx = [...Array(Math.min(bs, samples.length - s)).keys()].map((k) => s + k);
    const pred = noGrad(() => model.net.forward(canvasBatch(samples, idx)));
    const raw =
      model.head === 'v1'
        ? decodeYoloV1(pred, {
            boxesPerCell: model.boxesPerCell,
            numClasses: model.numClasses,
            stride: model.stride,
            scoreThreshold: thr,
          })
        : decodeYolo(pred, {
            anchors: model.anchors,
            numClasses: model.numClasses,
            stride: model.stride,
            scoreThreshold: thr,
          });
    for (const d of raw) {
      const keep = nms(d.boxes, d.scores, { iouThreshold: opts.iouThreshold ?? 0.45, classes: d.labels });
      out.push({
        boxes: keep.map((i) => d.boxes[i]!),
        scores: keep.map((i) => d.scores[i]!),
        labels: keep.map((i) => d.labels[i]!),
      });
    }
  }
  return out;
}

/** VOC mAP@0.5 (and per-class AP) of a trained YOLO on held-out canvases. */
export function evaluateYolo(model: YoloModel, test: readonly DetectionSample[]) {
  return evaluateDetections(predictYolo(model, test), test, {
    iouThreshold: 0.5,
    numClasses: model.numClasses,
  });
}

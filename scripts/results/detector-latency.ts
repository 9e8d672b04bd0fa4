/**
 * Latency per image of the pretrained detectors run by Stride against the same models in TF.js
 * (the WebAssembly backend), on darknet's dog.jpg / face-api's sample1.jpg already resized to the
 * model input: median of N runs after 2 warm-ups. Writes results/detector-latency.md.
 *
 * Run:  nice npx tsx scripts/results/detector-latency.ts [--runs 5]
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import sharp from 'sharp';
import * as st from '../../src/node.js';
import { packageFile } from '../../src/detection/load-detectors-node.js';
import { writeFileAtomic } from '../../src/io/atomic-write-node.js';

const runs = Number(parseArgs({ options: { runs: { type: 'string', default: '5' } } }).values.runs);

async function photo(path: string, size: number) {
  const { data } = await sharp(path)
    .removeAlpha()
    .resize(size, size, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const nhwc = Float32Array.from(data);
  return { nhwc, nchw: st.permute(new st.Tensor(nhwc.slice(), [1, size, size, 3]), [0, 3, 1, 2]).clone() };
}

async function median(fn: () => unknown | Promise<unknown>): Promise<number> {
  for (let i = 0; i < 2; i++) await fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
}

await tf.setBackend('wasm');
await tf.ready();
const rows: string[] = [];
const load0 = loadavg()[0]!;

// CenterNet (COCO), @vladmandic/human: the graph to tower_0/detections plus human's NMS, against Stride's detect.
{
  const path = packageFile('@vladmandic/human', 'models/centernet.json');
  const json = JSON.parse(readFileSync(path, 'utf8')) as { modelTopology: object };
  const data = new Uint8Array(readFileSync(path.replace(/\.json$/, '.bin')));
  const model = await tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      format: 'graph-model',
      weightSpecs: st.tfjsWeightGroups(json).flatMap((g) => g.weights),
      weightData: data.slice().buffer,
    }),
  );
  const img = await photo('/usr/share/darknet/data/dog.jpg', 512);
  const net = st.loadCenterNet();
  const x = tf.tensor4d(img.nhwc, [1, 512, 512, 3]);
  const tfjsMs = await median(async () => {
    const det = model.execute(x, 'tower_0/detections') as tf.Tensor;
    const rows2 = ((await det.array()) as number[][][])[0]!;
    const keep = await tf.image.nonMaxSuppressionAsync(
      tf.tensor2d(rows2.map((r) => [r[1]!, r[0]!, r[3]!, r[2]!])),
      tf.tensor1d(rows2.map((r) => r[4]!)),
      10,
      0.4,
      0.2,
    );
    await keep.data();
    det.dispose();
  });
  const strideMs = await median(() => net.detect(img.nchw));
  rows.push(
    `| CenterNet 512×512 (COCO, human) | ${strideMs.toFixed(0)} | ${tfjsMs.toFixed(0)} | ${(tfjsMs / strideMs).toFixed(2)}× |`,
  );
}

// face-api's detectors on its own tfjs (wasm).
{
  const faceapi = createRequire(import.meta.url)('@vladmandic/face-api/dist/face-api.node-wasm.js') as {
    tf: {
      setBackend(b: string): Promise<boolean>;
      ready(): Promise<void>;
      io: { decodeWeights(d: ArrayBuffer, s: unknown[]): unknown };
      tensor4d(v: Float32Array, s: number[]): unknown;
    };
    nets: Record<
      'tinyFaceDetector' | 'ssdMobilenetv1',
      {
        loadFromWeightMap(m: unknown): Promise<void>;
        locateFaces(x: unknown, o: unknown): Promise<unknown[]>;
      }
    >;
    TinyFaceDetectorOptions: new (o: object) => unknown;
    SsdMobilenetv1Options: new (o: object) => unknown;
  };
  await faceapi.tf.setBackend('wasm');
  await faceapi.tf.ready();
  const sample = packageFile('@vladmandic/face-api', 'demo/sample1.jpg');
  for (const [net, file, size, strideNet, opts, title] of [
    [
      'tinyFaceDetector',
      'tiny_face_detector_model',
      416,
      st.loadTinyFaceDetector(),
      new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 }),
      'tiny_face_detector 416×416 (face-api)',
    ],
    [
      'ssdMobilenetv1',
      'ssd_mobilenetv1_model',
      512,
      st.loadSsdMobilenetFace(),
      new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 }),
      'ssd_mobilenetv1 512×512 (face-api)',
    ],
  ] as const) {
    const manifest = packageFile('@vladmandic/face-api', `model/${file}-weights_manifest.json`);
    const specs = (JSON.parse(readFileSync(manifest, 'utf8')) as { weights: unknown[] }[]).flatMap(
      (g) => g.weights,
    );
    const bin = readFileSync(join(manifest, '..', `${file}.bin`));
    await faceapi.nets[net].loadFromWeightMap(faceapi.tf.io.decodeWeights(new Uint8Array(bin).buffer, specs));
    const img = await photo(sample, size);
    const x = faceapi.tf.tensor4d(img.nhwc, [1, size, size, 3]);
    const tfjsMs = await median(() => faceapi.nets[net].locateFaces(x, opts));
    const strideMs = await median(() => strideNet.detect(img.nchw));
    rows.push(
      `| ${title} | ${strideMs.toFixed(0)} | ${tfjsMs.toFixed(0)} | ${(tfjsMs / strideMs).toFixed(2)}× |`,
    );
  }
}

const cpu = cpus();
const md = `# Detector latency: Stride against TF.js (wasm)

Written by \`scripts/results/detector-latency.ts\` (${new Date().toISOString()}): milliseconds per
image (decode and NMS included), median of ${runs} runs after 2 warm-ups, batch 1, photo already
resized to the model input. Stride on its \`${st.backend()}\` backend, TF.js ${tf.version.tfjs} on
\`wasm\` (one thread in Node).

| detector | Stride ms | TF.js wasm ms | Stride speed ÷ TF.js |
| --- | ---: | ---: | ---: |
${rows.join('\n')}

Machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, Node ${process.version}; load average
${load0.toFixed(1)} at the start. The machine was shared with other jobs: these are rough numbers,
not a benchmark (the benchmark harness in bench/ waits for an idle machine).
`;
writeFileAtomic('results/detector-latency.md', md);
console.log(md);

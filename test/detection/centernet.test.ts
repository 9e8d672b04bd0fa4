import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import * as st from '../../src/node.js';
import { assertClose } from '../helpers/assert-close.js';
import { packageDir } from '../io/helpers/npm-models.js';

const DARKNET = '/usr/share/darknet/data';
const human = packageDir('@vladmandic/human');
const skip = !human
  ? '@vladmandic/human is not installed (npm install -D @vladmandic/human @tensorflow/tfjs @tensorflow/tfjs-backend-wasm)'
  : !existsSync(`${DARKNET}/dog.jpg`)
    ? 'the darknet sample photos are missing (apt-get install darknet)'
    : false;

async function photo512(file: string) {
  const { data } = await sharp(`${DARKNET}/${file}`)
    .removeAlpha()
    .resize(512, 512, { fit: 'fill' })
    .raw()
    .toBuffer({
      resolveWithObject: true,
    });
  const nhwc = Float32Array.from(data);
  return { nhwc, nchw: st.permute(new st.Tensor(nhwc.slice(), [1, 512, 512, 3]), [0, 3, 1, 2]).clone() };
}

describe("@vladmandic/human's CenterNet (COCO) imported by Stride gives tfjs's detections", { skip }, () => {
  it('dog.jpg and horses.jpg: same objects, boxes and scores as the graph + human post-processing in tfjs (wasm)', async () => {
    const tf = await import('@tensorflow/tfjs');
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    await tf.ready();
    const path = `${human}/models/centernet.json`;
    const json = JSON.parse(readFileSync(path, 'utf8')) as { modelTopology: object };
    const groups = st.tfjsWeightGroups(json);
    const data = new Uint8Array(readFileSync(path.replace(/\.json$/, '.bin')));
    const ref = await tf.loadGraphModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        format: 'graph-model',
        weightSpecs: groups.flatMap((g) => g.weights),
        weightData: data.slice().buffer,
      }),
    );
    const net = st.loadCenterNet();
    const seen: string[] = [];
    for (const file of ['dog.jpg', 'horses.jpg']) {
      const img = await photo512(file);
      const ours = net.detect(img.nchw);
      // human's object/centernet.ts: execute to tower_0/detections, then NMS (maxDetected 10, IoU 0.4, minConfidence 0.2).
      const det = ref.execute(
        tf.tensor4d(img.nhwc, [1, 512, 512, 3]),
        'tower_0/detections',
      ) as import('@tensorflow/tfjs').Tensor;
      const rows = ((await det.array()) as number[][][])[0]!;
      const keep = await tf.image.nonMaxSuppressionAsync(
        tf.tensor2d(rows.map((r) => [r[1]!, r[0]!, r[3]!, r[2]!])),
        tf.tensor1d(rows.map((r) => r[4]!)),
        10,
        0.4,
        0.2,
      );
      const theirs = Array.from(await keep.data()).map((i) => rows[i]!);
      assert.equal(ours.boxes.length, theirs.length, `${file}: number of detections`);
      theirs.forEach((r, i) => {
        assert.equal(ours.labels[i], r[5], `${file} class ${i}`);
        assertClose(ours.scores[i]!, [r[4]!], { atol: 1e-4, msg: `${file} score ${i}` });
        assertClose(ours.boxes[i]!, r.slice(0, 4), { atol: 0.02, rtol: 1e-4, msg: `${file} box ${i}` });
        seen.push(net.classNames[r[5]!]!);
      });
    }
    for (const c of ['dog', 'bicycle', 'horse']) assert.ok(seen.includes(c), `${c} among ${seen.join(', ')}`);
  });
});

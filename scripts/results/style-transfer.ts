// Style transfer result for the README: skimage's cat photo (content) in the style of opencv-doc's
// Starry Night, on nsfwjs' pretrained MobileNetV2 with LBFGS.
//   nice node --import tsx scripts/results/style-transfer.ts
// Writes results/style-transfer.png (content | style | result) and results/style-transfer.md.
import { cpus } from 'node:os';
import sharp from 'sharp';
import * as st from '../../src/node.js';
import { writeFileAtomic } from '../../src/io/atomic-write-node.js';
import { readImageWithin } from '../../src/style/read-image-within-node.js';

const SIZE = 160;
const STEPS = 100;
const content = await readImageWithin('/usr/lib/python3/dist-packages/skimage/data/chelsea.png', SIZE);
const style = await readImageWithin('/usr/share/doc/opencv-doc/examples/data/starry_night.jpg', SIZE);
const backbone = st.loadNsfwjsBackbone();
const t0 = Date.now();
const { image, history } = st.styleTransfer({
  content,
  style,
  backbone: backbone.graph,
  contentLayers: backbone.contentLayers,
  styleLayers: backbone.styleLayers,
  steps: STEPS,
  weights: { content: 1, style: 1e6, tv: 1 },
  onStep: (s) => {
    if (s.step % 10 === 0 || s.step === 1)
      console.log(
        `step ${s.step}/${s.steps}  content ${s.content.toExponential(3)}  style ${s.style.toExponential(3)}`,
      );
  },
});
const seconds = (Date.now() - t0) / 1000;

const [, h, w] = content.shape as [number, number, number];
const tiles = await Promise.all(
  [content, style, image.reshape(image.shape.slice(1))].map(async (t) =>
    sharp(Buffer.from(st.tensorToImage(t).data), {
      raw: { width: t.shape[2]!, height: t.shape[1]!, channels: 3 },
    })
      .resize(w, h, { fit: 'cover' })
      .png()
      .toBuffer(),
  ),
);
const gap = 4;
const png = await sharp({ create: { width: 3 * w + 2 * gap, height: h, channels: 3, background: '#ffffff' } })
  .composite(tiles.map((input, i) => ({ input, left: i * (w + gap), top: 0 })))
  .png({ palette: true })
  .toBuffer();
writeFileAtomic('results/style-transfer.png', png);
const first = history[0]!;
const last = history[history.length - 1]!;
writeFileAtomic(
  'results/style-transfer.md',
  `# Style transfer result

Written by \`scripts/results/style-transfer.ts\`: skimage's \`chelsea.png\` (content) in the style of
opencv-doc's \`starry_night.jpg\`, ${w}x${h} pixels, ${history.length} evaluations of LBFGS (strong-Wolfe
line search) on ${backbone.source}; content layer ${backbone.contentLayers.join(', ')}, style layers
${backbone.styleLayers.join(', ')}; weights content 1, style 1e6, total variation 1.

| | first evaluation | last evaluation |
|---|---|---|
| weighted style loss | ${first.style.toExponential(3)} | ${last.style.toExponential(3)} |
| weighted content loss | ${first.content.toExponential(3)} | ${last.content.toExponential(3)} |

Style loss reduced ${(first.style / last.style).toFixed(0)}x. Wall time ${seconds.toFixed(0)} s on ${st.backend()} backend,
${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores, shared with other jobs: timings are noisy).

![content | style | result](style-transfer.png)
`,
);
console.log(`wrote results/style-transfer.png and .md (${seconds.toFixed(0)} s)`);

// Imports torchvision's ShuffleNetV2 (x0.5) and MobileNetV2 from ONNX and counts what became Stride's own layers:
// BatchNormalization nodes imported as BatchNorm2d and folded into their convolution by the fused
// inference path (eval + noGrad), ReLU/ReLU6 fused there, and the shape-arithmetic layers left in the graph. Checks the
// logits (plain and fused path) against torchvision's. Prints one JSON line:
//   npx tsx scripts/results/onnx-import-shapes.ts [label]
// The ONNX files come from scripts/fixtures/gen_shufflenet_onnx.py (run here with /usr/bin/python3,
// into tmp/shufflenet). The numbers go into scripts/results/onnx-import-shapes.md.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import * as st from '../../src/node.js';
import { planGraph } from '../../src/nn/inference-fusion.js';

const label = process.argv[2] ?? 'run';
const dir = join('tmp', 'shufflenet');
if (!existsSync(join(dir, 'mobilenet_v2.onnx'))) {
  execFileSync('/usr/bin/python3', ['gen_shufflenet_onnx.py', join('..', '..', dir)], {
    cwd: join('scripts', 'fixtures'),
    stdio: 'inherit',
  });
}

function measure(name: string) {
  const truth = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as {
    input: { shape: number[]; data: number[] };
    logits: { shape: number[]; data: number[] };
  };
  const bytes = new Uint8Array(readFileSync(join(dir, `${name}.onnx`)));
  const batchNormNodes = st
    .decodeOnnxModel(bytes)
    .graph.nodes.filter((n) => n.opType === 'BatchNormalization').length;
  const start = performance.now();
  const g = st.importOnnx(bytes);
  const importMs = performance.now() - start;

  const layers: Record<string, number> = {};
  for (const [, m] of g.namedModules()) if (m !== g) layers[m.typeName] = (layers[m.typeName] ?? 0) + 1;
  const steps = g.nodes();
  const index = new Map(steps.map((s, i) => [s.name, i]));
  const plan = planGraph(
    steps.map((s) => ({ module: s.module, inputs: s.inputs.map((n) => index.get(n)!) })),
    g.outputNames.map((n) => index.get(n)!),
  );
  const fused = (activation: string) =>
    plan.filter((p) => (p?.kind === 'conv' || p?.kind === 'add') && p.activation === activation).length;

  const x = st.tensor(Float32Array.from(truth.input.data), truth.input.shape);
  const maxDiff = (y: st.Tensor) =>
    Math.max(...Array.from(y.data, (v, i) => Math.abs(v - truth.logits.data[i]!)));
  g.eval();
  const plainDiff = maxDiff(g.forward(x));
  const fusedDiff = st.noGrad(() => maxDiff(g.forward(x)));
  return {
    model: name,
    batchNormNodes,
    batchNorm2d: layers.BatchNorm2d ?? 0,
    genericBatchNorm: layers['OnnxOp[BatchNormalization]'] ?? 0,
    foldedBnInFusedPlan: plan.filter((p) => p?.kind === 'conv' && p.bn !== null).length,
    fusedRelu: fused('relu'),
    fusedRelu6: fused('relu6'),
    genericClip: layers['OnnxOp[Clip]'] ?? 0,
    shapeArithmeticLayers: Object.entries(layers)
      .filter(([k]) => /OnnxOp\[(Shape|Gather|Unsqueeze|Concat|Div|Mul|Add|Cast)\]/.test(k))
      .reduce((n, [, v]) => n + v, 0),
    layers,
    maxAbsDiffPlain: plainDiff,
    maxAbsDiffFused: fusedDiff,
    logitScale: Math.max(...truth.logits.data.map(Math.abs)),
    importMs: Math.round(importMs),
  };
}

console.log(
  JSON.stringify({
    label,
    results: ['shufflenet_v2', 'mobilenet_v2'].map(measure),
    cpu: cpus()[0]?.model,
    node: process.version,
  }),
);

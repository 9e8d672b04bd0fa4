// Export the benchmark's MobileNetV2 (Stride's zoo model with manualSeed(0) weights, eval mode) to
// ONNX with Stride's own exporter, for the onnxruntime peer of the MobileNetV2 rows.
// Usage: node --import tsx bench/export_mobilenet_v2.mjs OUT.onnx
import { renameSync, writeFileSync } from 'node:fs';

const out = process.argv[2];
if (!out) throw new Error('usage: node --import tsx bench/export_mobilenet_v2.mjs OUT.onnx');
const st = await import('../src/node.js');
st.manualSeed(0);
const model = st.models.mobilenet_v2().eval();
const bytes = st.exportOnnx(model, st.randn([2, 3, 224, 224]));
writeFileSync(`${out}.tmp`, bytes);
renameSync(`${out}.tmp`, out);

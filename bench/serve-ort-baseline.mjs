// The baseline for bench/serve-load.mjs: what a Node user would write instead of `stride serve` —
// a minimal fastify server running an ONNX model in onnxruntime-node, on the same route and JSON
// body as the Open Inference Protocol. Usage: node bench/serve-ort-baseline.mjs model.onnx PORT
import Fastify from 'fastify';
import * as ort from 'onnxruntime-node';

const [file, port] = process.argv.slice(2);
const session = await ort.InferenceSession.create(file);
const app = Fastify({ bodyLimit: 64 * 1024 * 1024 });
app.post('/v2/models/:name/infer', async (req) => {
  const input = req.body.inputs[0];
  const x = new ort.Tensor('float32', Float32Array.from(input.data), input.shape);
  const out = (await session.run({ [session.inputNames[0]]: x }))[session.outputNames[0]];
  return {
    model_name: req.params.name,
    outputs: [{ name: 'output', datatype: 'FP32', shape: out.dims, data: Array.from(out.data) }],
  };
});
await app.listen({ host: '127.0.0.1', port: Number(port) });
console.log(`listening on http://127.0.0.1:${port}`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));

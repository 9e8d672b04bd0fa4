// The model panel: drop a saved Stride model (one .safetensors file from st.save, or the
// config.json + model.safetensors pair of a model directory) or an ONNX file; see its summary
// (st.summary: shapes, parameters, multiply-adds, receptive fields) and run it on an image.
import * as st from '../../src/index.js';
import { imageToTensor, renderProbabilities } from './image-canvas.js';

/** A model read from dropped files, with the name shown for it. */
export interface DroppedModel {
  model: st.Module;
  name: string;
}

async function bytes(f: File): Promise<Uint8Array> {
  return new Uint8Array(await f.arrayBuffer());
}

/** Build a model from dropped files: .onnx, a Stride .safetensors, or config.json + model.safetensors. */
export async function modelFromFiles(files: readonly File[]): Promise<DroppedModel> {
  const byName = new Map(files.map((f) => [f.name.toLowerCase(), f]));
  const onnx = files.find((f) => f.name.toLowerCase().endsWith('.onnx'));
  if (onnx) return { model: st.importOnnx(await bytes(onnx)), name: onnx.name };
  const config = byName.get('config.json');
  const weights = files.find((f) => f.name.toLowerCase().endsWith('.safetensors'));
  if (config && weights) {
    const { model } = st.decodeModel(
      { config: await bytes(config), weights: await bytes(weights) },
      { file: weights.name },
    );
    return { model, name: `${config.name} + ${weights.name}` };
  }
  if (weights)
    return {
      model: st.decodeModelFile(await bytes(weights), { file: weights.name }).model,
      name: weights.name,
    };
  throw new st.ValueError(
    'playground',
    `cannot read ${files.map((f) => f.name).join(', ')}: expected an .onnx file, a Stride .safetensors file (st.save(model, 'm.safetensors')), or a model directory's config.json with its model.safetensors`,
  );
}

export function initModelPanel(onModel: (m: DroppedModel, inputShape: number[]) => void): void {
  const drop = document.getElementById('model-drop') as HTMLElement;
  const fileInput = document.getElementById('model-file') as HTMLInputElement;
  const info = document.getElementById('model-info') as HTMLElement;
  const summaryPre = document.getElementById('model-summary') as HTMLElement;
  const shapeInput = document.getElementById('model-shape') as HTMLInputElement;
  const imageInput = document.getElementById('model-image') as HTMLInputElement;
  const useDrawing = document.getElementById('model-use-drawing') as HTMLButtonElement;
  const output = document.getElementById('model-output') as HTMLElement;
  const probs = document.getElementById('model-probs') as HTMLElement;
  let current: DroppedModel | null = null;
  let inputShape: number[] = [];

  const summarize = (): void => {
    if (!current) return;
    const given = shapeInput.value.trim();
    const shape = given ? given.split(/[\s,x×]+/).map(Number) : undefined;
    try {
      const s = st.summary(current.model, shape);
      inputShape = s.inputShape;
      shapeInput.value = s.inputShape.join(', ');
      summaryPre.textContent = st.formatSummary(s);
      info.textContent = `${current.name}: ${s.model}, input [${s.inputShape.join(', ')}] -> output [${s.outputShape.join(', ')}], ${s.totalParams.toLocaleString('en-US')} parameters, ${s.macs.toLocaleString('en-US')} multiply-adds per image`;
      info.dataset.params = String(s.totalParams);
      info.dataset.macs = String(s.macs);
      onModel(current, inputShape);
    } catch (err) {
      summaryPre.textContent = '';
      info.textContent = `${current.name}: ${err instanceof Error ? err.message : String(err)} (type the per-image input shape, e.g. 3, 224, 224)`;
    }
  };

  const load = async (files: readonly File[]): Promise<void> => {
    info.textContent = `reading ${files.map((f) => f.name).join(', ')}...`;
    delete info.dataset.params;
    try {
      current = await modelFromFiles(files);
      shapeInput.value = '';
      summarize();
    } catch (err) {
      current = null;
      summaryPre.textContent = '';
      info.textContent = err instanceof Error ? err.message : String(err);
      info.dataset.error = 'true';
    }
  };

  const run = (source: CanvasImageSource): void => {
    if (!current || inputShape.length !== 3) {
      output.textContent = 'load a model with an image input [C, H, W] first';
      return;
    }
    const [c, h, w] = inputShape as [number, number, number];
    const x = imageToTensor(source, c, h, w);
    current.model.eval();
    const y = st.noGrad(() => current!.model.forward(x));
    if (y.ndim === 2 && y.shape[0] === 1) {
      const p = (st.softmax(y, 1).toArray() as number[][])[0]!;
      const top = p.indexOf(Math.max(...p));
      output.textContent = `output [${y.shape.join(', ')}]: class ${top} (softmax ${(100 * p[top]!).toFixed(1)}%)`;
      output.dataset.top = String(top);
      output.dataset.probs = JSON.stringify(p);
      renderProbabilities(probs, p.length <= 20 ? p : p.slice(0, 20));
    } else {
      const v = y.data;
      let lo = Infinity;
      let hi = -Infinity;
      for (const a of v) {
        lo = Math.min(lo, a);
        hi = Math.max(hi, a);
      }
      output.textContent = `output [${y.shape.join(', ')}], values in [${lo.toFixed(4)}, ${hi.toFixed(4)}]`;
      probs.replaceChildren();
    }
  };

  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length > 0) void load(files);
  });
  fileInput.onchange = () => {
    const files = [...(fileInput.files ?? [])];
    if (files.length > 0) void load(files);
  };
  shapeInput.onchange = summarize;
  imageInput.onchange = async () => {
    const f = imageInput.files?.[0];
    if (!f) return;
    try {
      run(await createImageBitmap(f));
    } catch (err) {
      output.textContent = `cannot read ${f.name} as an image: ${err instanceof Error ? err.message : String(err)}`;
    }
  };
  useDrawing.onclick = () => run(document.getElementById('draw-canvas') as HTMLCanvasElement);
}

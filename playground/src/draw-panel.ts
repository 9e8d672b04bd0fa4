// The drawing panel: draw a digit, see the prediction of the model being trained (or of a loaded
// 1x28x28 model), its class probabilities and a saliency map (st.viz.saliency) over the input.
import * as st from '../../src/index.js';
import { digitFromCanvas } from './digit-input.js';
import { paintImage, renderProbabilities } from './image-canvas.js';

/** What the drawing panel exposes to the other panels. */
export interface DrawPanel {
  /** Use this model for predictions from now on; `source` says where it came from. */
  setModel(model: st.Module, source: string): void;
}

export function initDrawPanel(): DrawPanel {
  const canvas = document.getElementById('draw-canvas') as HTMLCanvasElement;
  const clear = document.getElementById('draw-clear') as HTMLButtonElement;
  const result = document.getElementById('draw-result') as HTMLElement;
  const probs = document.getElementById('draw-probs') as HTMLElement;
  const input = document.getElementById('draw-input') as HTMLCanvasElement;
  const overlay = document.getElementById('draw-saliency') as HTMLCanvasElement;
  const ctx = canvas.getContext('2d')!;
  let model: st.Module | null = null;
  let source = '';
  let drawing = false;

  const wipe = (): void => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  };
  wipe();

  const predict = (): void => {
    const pixels = digitFromCanvas(canvas);
    if (!pixels) {
      result.textContent = 'draw a digit in the black square';
      return;
    }
    if (!model) {
      result.textContent = 'no model yet: train the network above (or load a 1x28x28 model below)';
      return;
    }
    const x = st.tensor(pixels, [1, 1, 28, 28]);
    model.eval();
    const p = st.noGrad(() => st.softmax(model!.forward(x), 1)).toArray() as number[][];
    const row = p[0]!;
    const cls = row.indexOf(Math.max(...row));
    result.textContent = `prediction: ${cls} (${(100 * row[cls]!).toFixed(1)}%, ${source})`;
    result.dataset.prediction = String(cls);
    renderProbabilities(probs, row);
    paintImage(input, x.reshape([1, 28, 28]), 5);
    const sal = st.viz.saliency(model, x);
    const blended = st.viz.overlayHeatmap(x, sal, { alpha: 0.6 });
    paintImage(overlay, blended.reshape([3, 28, 28]), 5);
  };

  const point = (e: PointerEvent): [number, number] => {
    const r = canvas.getBoundingClientRect();
    return [
      ((e.clientX - r.left) * canvas.width) / r.width,
      ((e.clientY - r.top) * canvas.height) / r.height,
    ];
  };
  canvas.addEventListener('pointerdown', (e) => {
    drawing = true;
    const [x, y] = point(e);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 22;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + 0.01, y);
    ctx.stroke();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    const [x, y] = point(e);
    ctx.lineTo(x, y);
    ctx.stroke();
  });
  const end = (): void => {
    if (!drawing) return;
    drawing = false;
    predict();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointerleave', end);
  clear.onclick = () => {
    wipe();
    probs.replaceChildren();
    result.textContent = 'draw a digit in the black square';
    delete result.dataset.prediction;
  };

  return {
    setModel(m, s) {
      model = m;
      source = s;
      if (digitFromCanvas(canvas)) predict();
    },
  };
}

import * as st from '../../src/index.js';
import type { ImagePayload } from './train-protocol.js';

/**
 * Paint an image [C, H, W] (C = 1 or 3, values in [0, 1]) into a canvas, each pixel a
 * `scale` x `scale` block; the canvas is resized to fit.
 */
export function paintImage(canvas: HTMLCanvasElement, img: ImagePayload | st.Tensor, scale: number): void {
  const [c, h, w] = img.shape as [number, number, number];
  const data = img.data;
  const small = new ImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    const r = data[i]!;
    const g = c === 3 ? data[h * w + i]! : r;
    const b = c === 3 ? data[2 * h * w + i]! : r;
    small.data[4 * i] = Math.round(255 * Math.min(1, Math.max(0, r)));
    small.data[4 * i + 1] = Math.round(255 * Math.min(1, Math.max(0, g)));
    small.data[4 * i + 2] = Math.round(255 * Math.min(1, Math.max(0, b)));
    small.data[4 * i + 3] = 255;
  }
  const tmp = document.createElement('canvas');
  tmp.width = w;
  tmp.height = h;
  tmp.getContext('2d')!.putImageData(small, 0, 0);
  canvas.width = w * scale;
  canvas.height = h * scale;
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, w * scale, h * scale);
}

/**
 * Read an image source into a float tensor [1, C, H, W] in [0, 1] of the given size (drawn scaled
 * onto a canvas of that size): C = 1 takes the mean of R, G and B, C = 3 keeps them.
 */
export function imageToTensor(source: CanvasImageSource, channels: number, h: number, w: number): st.Tensor {
  if (channels !== 1 && channels !== 3) {
    throw new st.ValueError(
      'imageToTensor',
      `the model wants ${channels} input channels; images give 1 or 3`,
    );
  }
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  const ctx = c.getContext('2d')!;
  ctx.drawImage(source, 0, 0, w, h);
  const px = ctx.getImageData(0, 0, w, h).data;
  const out = new Float32Array(channels * h * w);
  for (let i = 0; i < h * w; i++) {
    const r = px[4 * i]! / 255;
    const g = px[4 * i + 1]! / 255;
    const b = px[4 * i + 2]! / 255;
    if (channels === 1) out[i] = (r + g + b) / 3;
    else {
      out[i] = r;
      out[h * w + i] = g;
      out[2 * h * w + i] = b;
    }
  }
  return st.tensor(out, [1, channels, h, w]);
}

/** One bar per class: its probability, with the top class marked. */
export function renderProbabilities(
  el: HTMLElement,
  probs: readonly number[],
  labels?: readonly string[],
): void {
  const top = probs.indexOf(Math.max(...probs));
  el.replaceChildren(
    ...probs.map((p, i) => {
      const row = document.createElement('div');
      row.className = i === top ? 'prob top' : 'prob';
      row.dataset.cls = String(i);
      row.dataset.p = p.toFixed(6);
      const name = document.createElement('span');
      name.textContent = labels?.[i] ?? String(i);
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = `${(100 * p).toFixed(1)}%`;
      const value = document.createElement('span');
      value.textContent = `${(100 * p).toFixed(1)}%`;
      row.append(name, bar, value);
      return row;
    }),
  );
}

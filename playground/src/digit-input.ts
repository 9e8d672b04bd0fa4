/**
 * MNIST-style preprocessing of a drawing (white ink on black): crop to the ink's bounding box,
 * scale its longer side to 20 pixels, and place it in a 28x28 image so that its centre of mass
 * is the image's centre, as the MNIST digits were made. Returns 784 values in [0, 1], or null
 * when the canvas holds no ink.
 */
export function digitFromCanvas(canvas: HTMLCanvasElement): Float32Array | null {
  const ctx = canvas.getContext('2d')!;
  const { width: w, height: h } = canvas;
  const px = ctx.getImageData(0, 0, w, h).data;
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (px[4 * (y * w + x)]! > 20) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = 20 / Math.max(bw, bh);
  const sw = Math.max(1, Math.round(bw * scale));
  const sh = Math.max(1, Math.round(bh * scale));
  const small = document.createElement('canvas');
  small.width = sw;
  small.height = sh;
  const sctx = small.getContext('2d')!;
  sctx.imageSmoothingEnabled = true;
  sctx.imageSmoothingQuality = 'high';
  sctx.drawImage(canvas, x0, y0, bw, bh, 0, 0, sw, sh);
  const spx = sctx.getImageData(0, 0, sw, sh).data;
  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      const v = spx[4 * (y * sw + x)]! / 255;
      mass += v;
      cx += v * x;
      cy += v * y;
    }
  }
  const ox = Math.round(14 - (mass > 0 ? cx / mass : sw / 2));
  const oy = Math.round(14 - (mass > 0 ? cy / mass : sh / 2));
  const out = new Float32Array(28 * 28);
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      const ty = y + oy;
      const tx = x + ox;
      if (ty >= 0 && ty < 28 && tx >= 0 && tx < 28) out[ty * 28 + tx] = spx[4 * (y * sw + x)]! / 255;
    }
  }
  return out;
}

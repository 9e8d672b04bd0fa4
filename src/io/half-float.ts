/** Decoders of the 16-bit float formats that model files store (safetensors, ONNX, TF.js). */

/** The value of an IEEE 754 half-precision (float16) bit pattern. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const bf16Scratch = new DataView(new ArrayBuffer(4));

/** The value of a bfloat16 bit pattern (the upper 16 bits of a float32). */
export function bf16ToFloat(b: number): number {
  bf16Scratch.setUint32(0, (b & 0xffff) << 16);
  return bf16Scratch.getFloat32(0);
}

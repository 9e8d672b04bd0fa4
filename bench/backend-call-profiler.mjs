// A backend that times every call of Stride's native one, for the per-kernel profiles
// (bench/mnv2-profile.mjs, bench/layers-vs-ort.mjs), or of the wasm one (bench/wasm-layers.mjs,
// bench/wasm-ab.mjs). Registered as 'native-profiled' (or the name given): run a forward under
// `withBackend(name, ...)` and read the sink's `calls`, one entry per backend call in call order. Each time includes the N-API crossing and whatever the call allocates, not
// the JavaScript around it.

/**
 * A backend wrapping `native` (a backend's kernel table) that appends every call it times to
 * `sink.calls` as { key, args, ms }; labels and multiply-adds are made afterwards (labelOf,
 * macsOf), so that making them does not count as time outside the kernels. Register it yourself.
 * @param {Record<string, unknown>} native
 * @param {{ calls: { key: string, args: unknown[], ms: number }[] }} sink
 * @param {string} [name] the timing backend's name
 */
export function profiledBackend(native, sink, name = 'native-profiled') {
  const wrapped = {};
  for (const key of Object.keys(native)) {
    const f = native[key];
    if (typeof f !== 'function') {
      wrapped[key] = f;
      continue;
    }
    wrapped[key] = (...args) => {
      const t0 = process.hrtime.bigint();
      const r = f(...args);
      sink.calls.push({ key, args, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
      return r;
    };
  }
  wrapped.name = name;
  return wrapped;
}

/** profiledBackend registered under `name`; returns its sink ({ calls }). */
export function registerProfiledBackend(native, registerBackend, name = 'native-profiled') {
  const sink = { calls: [] };
  registerBackend(profiledBackend(native, sink, name));
  return sink;
}

/** The convolution geometry of a call (null for other kernels). */
export function convOf(key, args) {
  return key.startsWith('conv2dForward') ? args[0] : null;
}

/** 'dw 96->96 112x112 s2+relu6', '1x1 16->96 112x112 s1', '3x3 ...', or the kernel's name. */
export function labelOf(key, a) {
  if (!key.startsWith('conv2dForward')) return key;
  const p = a[0];
  const ep = a[5] ?? {};
  const tail = [ep.residual ? '+res' : '', ep.activation ? `+${ep.activation}` : ''].join('');
  return `${convKind(p)} ${p.inChannels}->${p.outChannels} ${p.inH}x${p.inW} s${p.strideH}${tail}`;
}

/** 'dw', '1x1' or 'KxK' for a convolution's geometry. */
export function convKind(p) {
  if (p.groups === p.inChannels && p.groups === p.outChannels && p.groups > 1) return 'dw';
  return p.kH === 1 && p.kW === 1 ? '1x1' : `${p.kH}x${p.kW}`;
}

/** Multiply-adds of a convolution call (0 for other kernels). */
export function macsOf(key, a) {
  if (!key.startsWith('conv2dForward')) return 0;
  const p = a[0];
  return p.batch * p.outChannels * p.outH * p.outW * (p.inChannels / p.groups) * p.kH * p.kW;
}

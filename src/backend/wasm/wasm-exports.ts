/**
 * The functions the WebAssembly module (`stride.wasm`, built from native/src and
 * native/wasm/exports.cc) exports. Pointers are byte offsets into `memory`; geometry arrays are
 * float64, in the same slot orders as the native addon's (see `native-addon.ts`).
 */
export interface StrideWasmExports {
  readonly memory: WebAssembly.Memory;
  /** Runs the module's static constructors; called once after instantiation. */
  _initialize(): void;
  stride_alloc(bytes: number): number;
  stride_free(ptr: number): void;
  /** Field names of the conv (0) or pool (1) parameter slots, comma-separated, as a C string. */
  stride_param_layout(kind: number): number;
  stride_gemm(p: number, a: number, b: number, c: number): void;
  stride_conv2d_forward(p: number, x: number, w: number, bias: number, y: number): void;
  stride_conv2d_prepare_weights(p: number): number;
  stride_conv2d_packed_free(packed: number): void;
  stride_conv2d_forward_packed(
    p: number,
    x: number,
    w: number,
    packed: number,
    bias: number,
    y: number,
    lo: number,
    hi: number,
  ): void;
  /** relu: 1 applies ReLU after the bias and residual sum, 0 does not; packed, bias, residual may be 0. */
  stride_conv2d_forward_fused(
    p: number,
    x: number,
    w: number,
    packed: number,
    bias: number,
    residual: number,
    relu: number,
    y: number,
  ): void;
  stride_conv2d_backward_data(p: number, dy: number, w: number, dx: number): void;
  stride_conv2d_backward_filter(p: number, x: number, dy: number, dw: number): void;
  stride_set_conv_algorithm(algorithm: number): void;
  stride_max_pool2d_forward(p: number, x: number, y: number, indices: number): void;
  stride_max_pool2d_backward(p: number, dy: number, indices: number, dx: number): number;
  stride_avg_pool2d_forward(p: number, x: number, y: number): void;
  stride_avg_pool2d_backward(p: number, dy: number, dx: number): void;
  stride_batch_norm_stats(p: number, x: number, mean: number, variance: number): void;
  stride_batch_norm_forward(p: number, x: number, scale: number, shift: number, y: number): void;
  stride_batch_norm_backward_sums(
    p: number,
    dy: number,
    x: number,
    mean: number,
    sumDy: number,
    sumDyXc: number,
  ): void;
  stride_batch_norm_backward_data(
    p: number,
    dy: number,
    x: number,
    dyScale: number,
    xScale: number,
    shift: number,
    dx: number,
  ): void;
  stride_unary(op: number, x: number, y: number, n: number, alpha: number): void;
  stride_binary(op: number, a: number, b: number, out: number, geometry: number): void;
  stride_reduce(op: number, x: number, geometry: number, out: number, indices: number): number;
  stride_activation_count(): number;
  stride_activation_name(code: number): number;
  stride_activation(code: number, x: number, y: number, n: number, p0: number, p1: number): void;
  stride_activation_grad(
    code: number,
    x: number,
    y: number,
    g: number,
    dx: number,
    n: number,
    p0: number,
    p1: number,
  ): void;
  stride_pointwise_loss_count(): number;
  stride_pointwise_loss_name(code: number): number;
  stride_pointwise_loss(
    code: number,
    x: number,
    t: number,
    weight: number,
    posWeight: number,
    param: number,
    losses: number,
    n: number,
  ): void;
  stride_pointwise_loss_backward(
    code: number,
    x: number,
    t: number,
    weight: number,
    posWeight: number,
    param: number,
    scales: number,
    dx: number,
    dt: number,
    n: number,
  ): void;
  stride_softmax(p: number, x: number, y: number): void;
  stride_softmax_backward(p: number, y: number, g: number, dx: number): void;
  stride_log_sum_exp(p: number, x: number, y: number): void;
  stride_log_sum_exp_backward(p: number, x: number, y: number, g: number, dx: number): void;
  stride_nll_loss(p: number, logp: number, target: number, weight: number, losses: number): void;
  stride_nll_loss_backward(
    p: number,
    logp: number,
    target: number,
    weight: number,
    scales: number,
    dx: number,
  ): void;
  stride_soft_target_cross_entropy(
    p: number,
    logp: number,
    target: number,
    weight: number,
    losses: number,
  ): void;
  stride_soft_target_cross_entropy_backward(
    p: number,
    logp: number,
    target: number,
    weight: number,
    scales: number,
    dx: number,
    dt: number,
  ): void;
  stride_roi_align_forward(p: number, x: number, rois: number, y: number): void;
  stride_roi_align_backward(p: number, dy: number, rois: number, dx: number): void;
  stride_roi_pool_forward(p: number, x: number, rois: number, y: number, argmax: number): void;
  stride_roi_pool_backward(p: number, dy: number, rois: number, argmax: number, dx: number): void;
}

/**
 * The extra exports of the threaded module (`stride-threads.wasm`): it imports its memory (shared,
 * `env.memory`) and lets each helper thread set its own stack and thread-local block.
 */
export interface StrideWasmThreadExports extends Omit<StrideWasmExports, 'memory'> {
  readonly __stack_pointer: WebAssembly.Global;
  readonly __tls_size: WebAssembly.Global;
  readonly __tls_align: WebAssembly.Global;
  /** Points this instance's thread-local variables at `block` and copies their initial values in. */
  __wasm_init_tls(block: number): void;
  /** A helper's loop: joins the pool's jobs until the worker is terminated; never returns. */
  stride_worker_loop(): void;
  /** The most threads jobs use (the pool clamps it to the helpers running + 1). */
  stride_set_threads(n: number): void;
  stride_get_threads(): number;
  /** Helpers that have entered stride_worker_loop. */
  stride_helpers(): number;
}

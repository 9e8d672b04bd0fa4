// Why a row can fall short of the best peer and what would close the gap. The coordinator prints
// the note of every row where Stride is behind; the numbers themselves come from the run.
const WINOGRAD_WEIGHTS =
  "13 of ResNet-18's 20 convolutions run Winograd F(4x4,3x3), which transforms its weights inside " +
  'each task on every call; in a profile of the fused batch-1 pass those transforms and the ' +
  'transposes into channel-last layouts take about as long as the Winograd GEMMs themselves. ' +
  'Keeping the transformed weights (4x the weights: 36 MiB for a 512-channel layer) measured ' +
  'slower at batch 1, where reading them from memory costs more than transforming 9 MiB in L2. ' +
  'The GEMM-path layers reuse weights packed once after st.fuseForInference.';

export const SHORTFALL_NOTES = {
  w1:
    'LeNet-5 layers are tiny (1, 6 and 16 channels), so a step is dozens of short kernel calls: ' +
    'every forward op allocates a fresh zero-filled Float32Array in JavaScript (backward reuses its ' +
    "buffers) and the 16-channel convolutions fill only 8 of the micro-kernel's 12 rows. " +
    'Small-channel kernels would close it.',
  w2:
    'Measured per layer, the convolutions at 3 to 20 channels are behind PyTorch (about 6.3 ms of ' +
    'convolution per step against 4.6 ms; the 16-channel forward and the 16->20 backward-filter are ' +
    'the largest gaps: the micro-kernels fill few of their rows at such channel counts), every ' +
    'forward op still writes a fresh array (backward reuses its buffers), and the max-pool backward ' +
    'is a scalar scatter after a memset. Small-channel convolution kernels would close most of it.',
  'w3-b1':
    'The plain call folds batch norm, applies ReLU and adds the residual inside the convolutions by ' +
    'itself (eval + noGrad), so this row runs the same kernels as the fused one. At batch 1 the two ' +
    'threads still barely pay (compare the 1-thread row). Fresh output arrays no longer page-fault ' +
    '(glibc keeps freed memory for reuse since 2026-12-06; before, 2 threads took 33.5 ms against 23.3 ms ' +
    'on 1), but measured per layer the 3x3 stride-1 Winograd layers still run at 0.84-0.94x on 2 threads: ' +
    'when Winograd splits output channels across threads each task repeats the input transform. ' +
    WINOGRAD_WEIGHTS,
  'w3-b8':
    'As for batch 1: the plain call runs fused by itself; Winograd weight transforms on every call, and ' +
    'the Winograd output transform, written one element at a time to NCHW.',
  'w3-b1-1t': WINOGRAD_WEIGHTS,
  'w3-b8-1t':
    WINOGRAD_WEIGHTS +
    ' At batch 8 the Winograd output transform, written one element at a time to NCHW, is the next cost.',
  'mnv2-b1':
    'The depthwise kernel is vectorized with row bands over both threads since 2026-12-06 (measured ' +
    'per shape, bench/depthwise-shapes.mjs: 13-19 GMAC/s on the stride-1 112x112 layer, 12-14 at ' +
    '14x14, but about 5.5 at 7x7 and 2.6-5 on the stride-2 layers, where copying and splitting the ' +
    'input into even and odd columns costs most of the time). The 1x1 convolutions (11.5 ms of a 26 ms ' +
    'pass on 1 thread before that change) read their input in place but are still plain GEMMs per ' +
    'layer; onnxruntime keeps a channel-blocked layout (NCHWc) between layers, which Stride does not.',
  'mnv2-b8': 'As for batch 1: the stride-2 depthwise layers, the 1x1 convolutions and the layout.',
  'w3f-b1': WINOGRAD_WEIGHTS,
  'w3f-b8':
    WINOGRAD_WEIGHTS +
    ' At batch 8 the Winograd output transform, written one element at a time to NCHW, is the next cost.',
  w4:
    'The filter gradients have no Winograd path: the 3x3 layers at 56x56 run dot products at about ' +
    "120 GFLOP/s where PyTorch's kernels reach about 150, and every forward op writes a fresh " +
    'activation array (backward reuses its buffers). A Winograd filter gradient would close most of it.',
  'w5-conv': 'The row times the whole call from JavaScript, including allocating the 800 KB output array.',
  'w5-sgemm':
    'This row is st.matmul as a user calls it: every call allocates a fresh 4 MB output array in ' +
    'JavaScript, which costs a sizeable share of a product of a few milliseconds; compare the GEMM ' +
    'kernel rows. A loop that keeps its output passes it back, st.matmul(a, b, { out: c }), which ' +
    'allocates nothing and measured as fast as the kernel into a preallocated C (side by side in one ' +
    'process); the row keeps the allocating call, as torch.matmul in the PyTorch row allocates too.',
  'gemm-1t':
    'The 12x32 AVX-512 micro-kernel with named accumulators; the remaining gap is in cache blocking ' +
    '(fixed KC/NC, not tuned per CPU) and unrolling.',
  'gemm-2t':
    'Two threads split the columns of C dynamically after A is packed once; on this shared 2-vCPU ' +
    'machine any outside load lands on one of the two threads.',
};

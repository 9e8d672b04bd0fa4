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
    'The plain call now folds batch norm and applies ReLU in place by itself (eval + noGrad), so this ' +
    'row runs the same kernels as the fused one. At batch 1 the two threads do not pay: in the full run ' +
    'of 2026-12-06 this row took 33.5 ms on 2 threads against 23.3 ms on 1 (the 1-thread row), so ' +
    'splitting small per-layer work across threads costs more than it gains; batch-1 parallelism over ' +
    'output channels and tiles is open work. ' +
    WINOGRAD_WEIGHTS,
  'w3-b8':
    'As for batch 1: the plain call runs fused by itself; Winograd weight transforms on every call, and ' +
    'the Winograd output transform, written one element at a time to NCHW.',
  'w3-b1-1t': WINOGRAD_WEIGHTS,
  'w3-b8-1t':
    WINOGRAD_WEIGHTS +
    ' At batch 8 the Winograd output transform, written one element at a time to NCHW, is the next cost.',
  'mnv2-b1':
    'Measured on 1 thread: of a 26 ms pass, 10.6 ms are the depthwise convolutions (a kernel at ' +
    '0.5-2 GMAC/s, slowest on large stride-1 planes) and 11.5 ms the 1x1 convolutions. A real ' +
    'depthwise kernel and 1x1 convolutions straight to GEMM would close most of it.',
  'mnv2-b8': 'As for batch 1: the depthwise kernel and the 1x1 convolutions.',
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
    'kernel rows. Buffer reuse in the tensor allocator would close it.',
  'gemm-1t':
    'The 12x32 AVX-512 micro-kernel with named accumulators; the remaining gap is in cache blocking ' +
    '(fixed KC/NC, not tuned per CPU) and unrolling.',
  'gemm-2t':
    'Two threads split the columns of C dynamically after A is packed once; on this shared 2-vCPU ' +
    'machine any outside load lands on one of the two threads.',
};

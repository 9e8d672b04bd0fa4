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
    'LeNet-5 layers are tiny (1, 6 and 16 channels), so a step is dozens of short kernel calls, and ' +
    'every forward op allocates a fresh zero-filled Float32Array in JavaScript (backward reuses its ' +
    'buffers). The convolutions run the direct small-channel kernels (native/src/conv_small_channels.cc) ' +
    'since 2026-12-07; the 10-wide second layer still leaves 6 of 16 lanes idle.',
  w2:
    'Since 2026-12-07 the 3-20-channel convolutions run direct small-channel kernels ' +
    '(native/src/conv_small_channels.cc: forward and backward-data keep a panel of output channels in ' +
    'registers over 2-3 vectors of output rows; filter gradients put the lanes over the input ' +
    'channels) and the 2x2 max-pool backward writes each gradient once with no memset. Measured ' +
    'before/after in one process (bench/w2-layers.mjs --baseline, 2 threads, on a loaded 2-vCPU ' +
    'machine), the layer kernels of a step took 7.0 ms against 9.4 and whole steps ran 1.15-1.26x ' +
    'faster. What remains: every forward op still writes a fresh zero-filled array in JavaScript (a ' +
    "ReLU over the first layer's 2 MB output took about 6x PyTorch's), the first layer's filter " +
    'gradient (3 input channels, so the lanes run over pixels), and the 8x8 third layer, whose 8-wide ' +
    'rows would leave the direct forward half its lanes, so it stays on the indirect GEMM path.',
  'w3-b1':
    'The plain call folds batch norm, applies ReLU and adds the residual inside the convolutions by ' +
    'itself (eval + noGrad), so this row runs the same kernels as the fused one. At batch 1 the two ' +
    'threads barely paid in the 2026-12-06 run (compare the 1-thread row), the 3x3 Winograd layers ' +
    'at 0.84-0.94x on 2 threads per layer, partly because tasks that split the output channels each ' +
    'repeated the input transform. Since 2026-12-07 those tasks share one input transform done by ' +
    'both threads first (bench/conv-ab.mjs: 1.08-1.21x less CPU time per call on the split 28x28, ' +
    '14x14 and 7x7 layers) and full output tiles are stored as vectors; Winograd tile chunks are equal ' +
    'and a multiple of the threads (at 56x56 they ran 48,48,48,48,4, one thread taking three). On a quiet ' +
    'machine (2026-12-07 05:50, bench/thread-scaling.mjs --layers, 25 alternating rounds, now with ' +
    "a pause after onnxruntime's call: its spinning threads had taken a core from the Stride calls timed " +
    'after it in every earlier run of that script) every convolution scales 1.37-1.77x per layer and ' +
    "the max pool 2.25x; the whole pass 1.56x, 11.7 ms against onnxruntime's 10.7 ms in that process " +
    '(0.91x; this run of the bench measured 14.4 ms, and standalone processes 11.4-14.0 ms on this VM). ' +
    'What is left: about 0.6-0.75 ms between the 23 kernel calls (serial; 5-7 us of it is JavaScript ' +
    'proper per call), the three 512-channel 7x7 layers (about 1 ms each on 2 threads: Winograd with 4 ' +
    'tiles, where each transformed weight serves 4 tiles; the GEMM path with N = 49 measured 1.1x ' +
    'slower), and the 1-thread speed itself (see the 1-thread row). ' +
    WINOGRAD_WEIGHTS,
  'w3-b8':
    'As for batch 1: the plain call runs fused by itself, and the Winograd layers transform their ' +
    'weights in every task on every call (each weight once per 48-tile chunk at batch 8).',
  'w3-b1-1t': WINOGRAD_WEIGHTS,
  'w3-b8-1t':
    WINOGRAD_WEIGHTS +
    ' At batch 8 the weights are transformed once per 48-tile chunk (9 times per call at 28x28).',
  'mnv2-b1':
    'Profiled kernel by kernel in one process (bench/mnv2-profile.mjs, bench/MNV2-RESULTS.md): since ' +
    '2026-12-07 the 10 inverted-residual sums run in the epilogue of their projection convolutions ' +
    '(53 backend calls per pass, no add kernel) and feature maps are reused from call to call ' +
    '(inference buffer pool). On a quiet machine (2026-12-07 05:50, 2 threads, batch 1) a profiled pass took 6.45 ms, 5.1 ms of it in 54 kernel calls; of the kernel time about 64% is the 1x1 convolutions (since 2026-12-07 a ' +
    'register-tiled pointwise kernel reading the NCHW input in place, native/src/conv_pointwise.cc: ' +
    '43-108 GMAC/s per layer alone on 1 thread, 1-5x the GEMM it replaced; inside the model the ' +
    '112x112 and 56x56 expansions, 16-24 multiply-adds per output value written, are bound by memory ' +
    'traffic at 21-70 GMAC/s, and the 7x7 planes fill 49 of 64 lanes), about 19% the depthwise layers ' +
    '(since 2026-12-07 an AVX-512 forward reading the input in place: masked loads, stride 2 ' +
    'deinterleaved by permutes, two rows a vector on 7x7 planes; 12-38 GMAC/s per layer inside the ' +
    'model on 2 threads, 576 channels 14x14 stride 2 the slowest, bench/DEPTHWISE-RESULTS.md) and about ' +
    '10% the stem and 6% the classifier. Outside the kernel calls: 1.35 ms per pass (4-5 us per call of ' +
    'JavaScript proper since 2026-12-07, scripts/results/js-overhead-per-layer.md), which onnxruntime, ' +
    'running the whole graph in native code, does not pay. onnxruntime keeps a channel-blocked layout (NCHWc) ' +
    'between layers, which Stride does not.',
  'mnv2-b8':
    'As for batch 1 (the ratio to onnxruntime is about the same on 1 thread: both scale about ' +
    'linearly from batch 1). Measured per kernel, the 112x112 and 56x56 layers (1x1 expansions, ' +
    'stride-2 depthwise, stem) run 1.4-3x slower per multiply-add than at batch 1 (their 8-image feature ' +
    'maps, 6-38 MB each, no longer stay in cache), the 7x7 and 14x14 ones at 0.7-1x their batch-1 ' +
    'speed. Fresh arrays for every feature map (page faults, external-memory garbage collections) ' +
    'were the largest cost here before the inference buffer pool (2026-12-07: 1.6-2.8x faster in one ' +
    'process across runs, 3-4x in separate processes, peak RSS unchanged at about 320 MiB).',
  'w3f-b1': WINOGRAD_WEIGHTS,
  'w3f-b8':
    WINOGRAD_WEIGHTS +
    ' At batch 8 the weights are transformed once per 48-tile chunk (9 times per call at 28x28).',
  w4:
    'The filter gradients have no Winograd path: the 3x3 layers at 56x56 run dot products at about ' +
    "120 GFLOP/s where PyTorch's kernels reach about 150, and every forward op writes a fresh " +
    'activation array (backward reuses its buffers). A Winograd filter gradient would close most of it.',
  'w5-conv': 'The row times the whole call from JavaScript, including allocating the 800 KB output array.',
  'w5-sgemm':
    'This row is st.matmul as a user calls it: every call allocates a fresh 4 MB output array in ' +
    'JavaScript; compare the GEMM kernel rows. The PyTorch row is not a faster GEMM: torch.matmul ' +
    "runs sgemm from the same OpenBLAS 0.3.21 build and kernel as the OpenBLAS rows (Debian's torch, " +
    'BLAS_INFO=generic, loads it as libblas.so.3), always on 2 threads (torch.set_num_threads does not ' +
    'reach it; OpenBLAS runs its default, every online CPU), so it is the OpenBLAS 2-thread row plus ' +
    'an allocation. Side by side in one Python process (bench/gemm-peers.py, alternating, median of ' +
    '40-60, three runs), torch.matmul took the CPU time of cblas_sgemm as the OpenBLAS engine calls ' +
    'it (within 5%) and 0.85-1.04x its wall-clock speed on a loaded machine, 1.00x (297 against 298 ' +
    'GFLOP/s) on a quieter one: PyTorch 374 against OpenBLAS ' +
    '321 GFLOP/s in one run is the two rows timed at different moments on a shared machine (their ' +
    'ranges, 324-387 and 288-340, overlap). In Stride (bench/gemm-ab.mjs part 2: 10-call blocks ' +
    'alternating with st.matmul(a, b, { out: c }) in one process, 2 threads) the allocating call took 1.2-1.75x the CPU ' +
    'time over the first 30 calls, while the heap grew (180-770 page faults per call), and after ' +
    'that mostly 1.02-1.05x, up to 1.35x in a block with a garbage collection (no page faults: ' +
    'calloc zeroing 4 MB, and collecting the dropped outputs); a loop that keeps its output passes it back with { out }. A bare st.matmul cannot ' +
    'take its output from the inference buffer pool: nothing tells it when the caller drops the result. ' +
    'Since 2026-12-07 that fresh output is not zero-filled (under Node it comes from ' +
    'Buffer.allocUnsafeSlow, as torch.empty; the kernel writes every element): in one process holding ' +
    'ResNet-18 and MobileNetV2 as the bench engine does, 10-call blocks alternating, the allocating ' +
    'call took 1.17x the CPU of the kernel into a kept C with the zero fill and 1.02x without it ' +
    '(bench/GEMM-RESULTS.md). What is left is collecting the dropped 4 MB arrays.',
  'gemm-1t':
    'The 12x32 AVX-512 micro-kernel with named accumulators; the remaining gap is in cache blocking ' +
    '(fixed KC/NC, not tuned per CPU) and unrolling. Blocking A in L2 (120 rows of packed A run ' +
    'against every B micro-panel of a block before the next rows) measured from 3% more to 2% less CPU ' +
    'time than streaming all of A per micro-panel (bench/gemm-ab.mjs), so it was not kept. Since ' +
    '2026-12-07 full tiles load and store B and C unmasked and the packed A panel is prefetched 16 k ' +
    'ahead: 1.05x less CPU on 1024^3 and 1.08-1.12x on the small-N convolution products in one-process ' +
    'A/B runs on a loaded machine (bench/GEMM-RESULTS.md).',
  'gemm-2t':
    'Two threads split the columns of C dynamically after A is packed once (when N is only a few ' +
    'micro-panels wide they split the rows and share one packed B instead); on this shared 2-vCPU ' +
    'machine any outside load lands on one of the two threads.',
};

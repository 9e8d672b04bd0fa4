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
  w2: "PyTorch's rate on this row moves by 2x between full runs on this VM (2095 img/s in the previous run, 4308 in this one), Stride's by about 1.2x. Since 2026-12-07 the 3-20-channel convolutions run direct small-channel kernels (native/src/conv_small_channels.cc) and the 2x2 max-pool backward writes each gradient once; what remains per step is the first layer's filter gradient (3 input channels, so the lanes run over pixels) and the 8x8 third layer on the indirect GEMM path (bench/W2-LAYERS-RESULTS.md).",
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
    'Measured layer by layer in ' +
    "bench/LAYERS-VS-ORT.md (bench/layers-vs-ort.mjs: every backend call next to onnxruntime's own per-node profile, same weights, quiet machine after this run)" +
    ": the 30 1x1 convolutions take 3.69 ms against onnxruntime's 2.55 (0.69x) and are most of the gap; the 17 depthwise layers are even (0.96x), the stem 3x3 stride 2 (3 -> 32 channels) runs at 0.48x and the 1280 -> 1000 classifier at 0.57x. On one thread the pointwise kernel reaches 95-105 GMAC/s on the 14x14 and 28x28 layers (about 90% of a core's peak here, bench/MNV2-RESULTS.md), so what is missing is per-layer two-thread scaling and the memory traffic between layers: onnxruntime keeps its channel-blocked layout (NCHWc) from one convolution to the next, Stride writes and reads NCHW. Since 2026-12-07 a second identical forward replays its recorded kernel calls (src/nn/inference-plan.ts: 0.2 ms outside the kernels per forward, was 0.7), the pointwise kernel runs every batch and puts output channels in the lanes on 7x7 planes, and the depthwise kernels build each input row's taps once per strip of 32 columns.",
  'mnv2-b8':
    'As for batch 1, in ' +
    "bench/LAYERS-VS-ORT.md (bench/layers-vs-ort.mjs: every backend call next to onnxruntime's own per-node profile, same weights, quiet machine after this run)" +
    ": at batch 8 the 1x1 convolutions run at 0.75x onnxruntime's per-layer time and are the whole gap; the stem (1.02x) and the depthwise layers (0.96x) are even.",
  'w3f-b1':
    'The explicitly fused model runs the same kernels as the plain call, which since 2026-12-07 replays its recorded kernel calls; in one process on the quiet machine after this run the two took 15.2-16.0 ms (plain 14.3-15.2), so most of the gap between this row and the plain one is the moment each was timed. Per layer (' +
    "bench/LAYERS-VS-ORT.md (bench/layers-vs-ort.mjs: every backend call next to onnxruntime's own per-node profile, same weights, quiet machine after this run)" +
    ') the stride-1 3x3 convolutions run 1.16x onnxruntime, the 7x7 stem 0.86x (a direct kernel with output channels in the lanes since 2026-12-07), the 1x1 stride-2 downsamples 0.58x and the max pool 0.41x (values only, no indices, since 2026-12-07).',
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

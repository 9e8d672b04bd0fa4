// Why a row can fall short of the best peer and what would close the gap. The coordinator prints
// the note of every row where Stride is behind; the numbers themselves come from the run.
const WEIGHTS_EVERY_CALL =
  'The convolutions pack (GEMM paths) or Winograd-transform (3x3 stride-1 layers) their weights on ' +
  'every call, because the backend cannot know they did not change, while onnxruntime prepacks them ' +
  'once per session: in a profile of the batch-1 pass that is about a quarter of the convolution ' +
  'time (transposes and weight transforms against the micro-kernels). Packed weights cached per ' +
  'layer and invalidated by a parameter version counter would close most of it.';

export const SHORTFALL_NOTES = {
  w1:
    'LeNet-5 layers are tiny (1, 6 and 16 channels), so a step is dozens of short kernel calls: each ' +
    'op allocates a fresh zero-filled Float32Array in JavaScript and the garbage collector runs often ' +
    '(together about a tenth of a step in a profile), and the 16-channel convolutions fill only 8 of ' +
    "the micro-kernel's 12 rows. Buffer reuse (a caching allocator) and small-channel kernels would close it.",
  w2:
    'Measured per layer, the convolutions at 3 to 20 channels are behind PyTorch (about 6.3 ms of ' +
    'convolution per step against 4.6 ms; backward-filter of the 16->20 layer is the largest gap), and ' +
    'fresh arrays plus garbage collection take about 15% of the step; the max-pool backward is a ' +
    'scalar scatter after a memset. Small-channel convolution kernels and buffer reuse would close it.',
  'w3-b1':
    'Without fusion, every batch norm and ReLU is its own pass writing a fresh array, which ' +
    'onnxruntime fuses away when it loads the model (compare the fused rows, where st.fuseForInference ' +
    'does the same). ' +
    WEIGHTS_EVERY_CALL,
  'w3-b8':
    'As for batch 1: separate batch-norm and ReLU passes (see the fused rows) and weights repacked or ' +
    'transformed on every call.',
  'w3f-b1': WEIGHTS_EVERY_CALL,
  'w3f-b8':
    'Weights are packed or transformed on every call (onnxruntime prepacks once); at batch 8 the ' +
    'Winograd transforms of inputs and outputs, written one element at a time to NCHW, are the next cost.',
  w4:
    'The filter gradients have no Winograd path: the 3x3 layers at 56x56 run dot products at about ' +
    "110 GFLOP/s where PyTorch's kernels reach about 150, and allocating the large activation and " +
    'gradient arrays plus garbage collection take about a tenth of a step. A Winograd filter gradient ' +
    'and buffer reuse would close it.',
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

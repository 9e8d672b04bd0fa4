// Why a row can fall short of the best peer and what would close the gap. The coordinator prints
// the note of every row where Stride is behind; the numbers themselves come from the run.
export const SHORTFALL_NOTES = {
  w1:
    'LeNet-5 layers are tiny, so a step is dozens of short calls: every op allocates a fresh ' +
    'Float32Array in JavaScript (new pages are faulted in and zeroed, and the garbage collector ' +
    'runs often), and autograd bookkeeping runs in JavaScript between kernels. Closing it needs ' +
    'buffer reuse in the tensor allocator (a caching allocator, as PyTorch has) and fused ' +
    'conv+bias+ReLU and pooling kernels so fewer intermediate arrays exist.',
  w2:
    'As for W1: small layers (3 to 20 channels) leave little work per kernel call, so per-op ' +
    'allocation and JavaScript overhead weigh heavily; the 8x8 layers also use only half of each ' +
    '16-lane vector in the convolution kernels. Buffer reuse and fused layer kernels would close most of it.',
  'w3-b1':
    'BatchNorm runs as TypeScript loops (src/ops/batch-norm.ts has no backend kernel), ReLU and the ' +
    'residual add are separate passes over freshly allocated arrays, and the convolution weights are ' +
    'repacked on every call because the backend cannot know they did not change; at batch 1 the ' +
    '7x7 and 14x14 layers have few output columns and are bound by streaming weights. A batch-norm ' +
    'kernel (or conv+BN+ReLU folding for inference), packed-weight caching keyed by a parameter ' +
    'version, and buffer reuse would close it.',
  'w3-b8':
    'Both halves matter: time outside native kernels (BatchNorm as TypeScript loops, a fresh array ' +
    'for every op) and convolution kernels that still lag on the 14x14 and 7x7 layers (few output ' +
    'columns per image, weights repacked on every call). A batch-norm kernel, buffer reuse and ' +
    'packed-weight caching would close most of it.',
  w4:
    'Training adds BatchNorm forward and backward in TypeScript loops and many more freshly ' +
    'allocated gradient arrays; the convolution gradients themselves are native. A batch-norm ' +
    'kernel pair and buffer reuse are the main missing pieces.',
  'w5-conv':
    'The row times the whole call from JavaScript, including allocating the 800 KB output array ' +
    '(fresh pages) around a kernel of about a millisecond; timed directly in C++ during development ' +
    'the same kernel ran faster. Reusing output buffers would close much of the gap; a Winograd ' +
    'F(4x4,3x3) kernel (not written yet) would go beyond it.',
  'w5-sgemm':
    'This row is st.matmul as a user calls it: every call allocates a fresh 4 MB output array in ' +
    'JavaScript (new pages faulted in and zeroed), which costs a sizeable share of a 10 ms product; ' +
    'compare the GEMM kernel rows below. Buffer reuse in the tensor allocator would close it.',
  'gemm-1t':
    'The 12x32 AVX-512 micro-kernel with named accumulators; the remaining gap is in cache blocking ' +
    '(fixed KC/NC, not tuned per CPU) and unrolling.',
  'gemm-2t':
    'Two threads split the columns of C dynamically after A is packed once; the gap follows the ' +
    'one-thread kernel gap, and on this shared 2-vCPU machine any outside load lands on one of the ' +
    'two threads.',
};

// The networks the training panel can train, each with its data set and what the panel shows of
// it. One place to add a network: the worker builds it and picks its data from here, the page
// labels it from here.
import * as st from '../../src/index.js';

/** The id of a trainable network (the value of the page's network selector). */
export type NetId = 'lenet5' | 'convnetjs';

/** A network the playground trains in the page. */
export interface NetSpec {
  id: NetId;
  /** The heading of the training panel while this network is selected. */
  title: string;
  /** One paragraph on the network and its data, shown under the heading. */
  about: string;
  /** Where its data come from: the MNIST subset file, or the synthetic 32x32x3 patterns made in the page. */
  data: 'mnist' | 'synthetic';
  /** Subtracted from every pixel (in [0, 1]) before the network sees it. */
  inputOffset: number;
  /** The first convolution, whose filters the panel shows. */
  filterLayer: string;
  /** Layers whose activation maps of one test image the panel shows. */
  activationLayers: string[];
  /** The name of the downloaded model file. */
  fileName: string;
  build(): st.Module;
}

/** The trainable networks, by id. */
export const NETS: Record<NetId, NetSpec> = {
  lenet5: {
    id: 'lenet5',
    title: 'Train LeNet-5 on MNIST',
    about:
      'LeNet-5 (1x28x28, ReLU and max pooling, 61,706 parameters) trains with Adam on 3,000 MNIST ' +
      'training digits in a Web Worker; the test accuracy is measured on 1,000 MNIST test digits every few steps.',
    data: 'mnist',
    inputOffset: 0,
    filterLayer: 'conv1',
    activationLayers: ['relu1', 'relu2'],
    fileName: 'lenet5-mnist.safetensors',
    build: () => st.models.lenet5({ variant: 'modern' }),
  },
  convnetjs: {
    id: 'convnetjs',
    title: 'Train the ConvNetJS CIFAR-style net on synthetic 32x32x3 images',
    about:
      "The network of ConvNetJS's CIFAR-10 demo (3x32x32: conv 16 5x5, pool, conv 20 5x5, pool, " +
      'conv 20 5x5, pool, softmax; 22,466 parameters) trains with Adam in a Web Worker on synthetic ' +
      '32x32x3 images generated in this page (there is no CIFAR-10 here): 3,000 for training and 500 ' +
      'for testing. Each shows a striped patch on a noisy grey background; its class is the direction ' +
      'of the stripes (horizontal, vertical, two diagonals or checks) times their colour (warm or cool), ' +
      'so colour alone or pattern alone tops out at 20% or 50%. Pixels are centred (minus 0.5) as in ' +
      "ConvNetJS's demo.",
    data: 'synthetic',
    inputOffset: 0.5,
    filterLayer: 'conv1',
    activationLayers: ['relu1', 'relu2'],
    fileName: 'convnetjs-synthetic.safetensors',
    build: () => st.models.convnetjs_cifar10(),
  },
};

/** The spec of `id`, or a clear error for an id the page does not know. */
export function netSpec(id: string): NetSpec {
  const spec = (NETS as Record<string, NetSpec | undefined>)[id];
  if (!spec) {
    throw new st.ValueError(
      'netSpec',
      `unknown network '${id}'; expected one of ${Object.keys(NETS).join(', ')}`,
    );
  }
  return spec;
}

// The W3 ResNet-18 in TensorFlow.js layers, shared by the tfjs engine and bench/wasm-layers.mjs.

/**
 * ResNet-18 (He et al. 2016; torchvision's layout: 7x7/2 stem, 3x3/2 max pool, four stages of two
 * basic blocks, 1x1 projection shortcuts) in tf.layers, channel-last, random weights, for the W3
 * inference rows. TF's 'same' padding pads the stride-2 layers on the bottom/right only, which
 * changes no layer's size or operation count.
 */
export function tfjsResnet18(tf) {
  const input = tf.input({ shape: [224, 224, 3] });
  const convBn = (x, filters, kernelSize, strides) =>
    tf.layers
      .batchNormalization()
      .apply(tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false }).apply(x));
  let x = tf.layers.reLU().apply(convBn(input, 64, 7, 2));
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x);
  for (const [filters, strides] of [
    [64, 1],
    [64, 1],
    [128, 2],
    [128, 1],
    [256, 2],
    [256, 1],
    [512, 2],
    [512, 1],
  ]) {
    const y = convBn(tf.layers.reLU().apply(convBn(x, filters, 3, strides)), filters, 3, 1);
    const shortcut = strides !== 1 || x.shape[3] !== filters ? convBn(x, filters, 1, strides) : x;
    x = tf.layers.reLU().apply(tf.layers.add().apply([y, shortcut]));
  }
  x = tf.layers.globalAveragePooling2d({}).apply(x);
  return tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1000 }).apply(x) });
}

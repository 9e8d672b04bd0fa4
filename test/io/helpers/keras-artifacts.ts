import * as tf from '@tensorflow/tfjs';

/** What `model.save` writes for a tfjs Keras model, as the model.json and weights that `st.importTfjs` reads. */
export async function kerasArtifacts(model: tf.LayersModel): Promise<{ json: object; data: Uint8Array }> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const a = saved! as tf.io.ModelArtifacts;
  const json = {
    format: 'layers-model',
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
  };
  return { json, data: new Uint8Array(a.weightData as ArrayBuffer) };
}

import * as st from '../../src/index.js';

/**
 * The one place that picks the backend the playground computes on; the page and its training
 * worker both call it before they build a model. Returns the active backend's name.
 */
export async function selectBackend(): Promise<string> {
  st.setBackend('reference');
  return st.backend();
}

import * as st from '../../src/index.js';
import { selectBackend } from './backend-choice.js';
import { initConvExplainer } from './conv-explainer.js';
import { initDrawPanel } from './draw-panel.js';
import { initModelPanel } from './model-panel.js';
import { initTrainPanel } from './train-panel.js';
import './style.css';

/**
 * Say whether the page is cross-origin isolated: only then do browsers offer SharedArrayBuffer,
 * which the wasm backend's threads need. The server must send `Cross-Origin-Opener-Policy:
 * same-origin` and `Cross-Origin-Embedder-Policy: require-corp` (see the README's Playground).
 */
function showIsolation(el: HTMLElement): void {
  const isolated = globalThis.crossOriginIsolated === true;
  const threads = st.backend() === 'wasm' ? st.wasmThreads() : 0;
  el.dataset.isolated = String(isolated);
  el.dataset.threads = String(threads);
  el.textContent = isolated
    ? `Cross-origin isolated: SharedArrayBuffer is available, so the wasm backend runs on ${threads} ` +
      `thread${threads === 1 ? '' : 's'} (${navigator.hardwareConcurrency} logical cores here).`
    : 'Not cross-origin isolated (the server sends no COOP/COEP headers): no SharedArrayBuffer, so ' +
      'the wasm backend runs on one thread.';
}

async function main(): Promise<void> {
  await selectBackend();
  document.getElementById('backend')!.textContent = st.backend();
  showIsolation(document.getElementById('isolation')!);
  const draw = initDrawPanel();
  initTrainPanel((bytes) => draw.setModel(st.decodeModelFile(bytes).model, 'the network being trained'));
  initConvExplainer();
  initModelPanel((m, shape) => {
    if (shape.join() === '1,28,28') draw.setModel(m.model, m.name);
  });
  document.body.dataset.ready = 'true';
}

main().catch((err: unknown) => {
  document.getElementById('fatal')!.textContent =
    `the playground failed to start: ${err instanceof Error ? err.message : String(err)}`;
});

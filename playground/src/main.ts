import * as st from '../../src/index.js';
import { selectBackend } from './backend-choice.js';
import { initConvExplainer } from './conv-explainer.js';
import { initDrawPanel } from './draw-panel.js';
import { initModelPanel } from './model-panel.js';
import { initTrainPanel } from './train-panel.js';
import './style.css';

/**
 * Say whether the page is cross-origin isolated: only then do browsers offer SharedArrayBuffer,
 * which multi-threaded WebAssembly needs. The server must send `Cross-Origin-Opener-Policy:
 * same-origin` and `Cross-Origin-Embedder-Policy: require-corp` (see the README's Playground).
 */
function showIsolation(el: HTMLElement): void {
  const isolated = globalThis.crossOriginIsolated === true;
  el.dataset.isolated = String(isolated);
  el.textContent = isolated
    ? `Cross-origin isolated: SharedArrayBuffer is available, so WebAssembly may run threaded ` +
      `(this device has ${navigator.hardwareConcurrency} logical cores).`
    : 'Not cross-origin isolated (the server sends no COOP/COEP headers): no SharedArrayBuffer, so ' +
      'WebAssembly runs on one thread.';
}

async function main(): Promise<void> {
  const backend = await selectBackend();
  document.getElementById('backend')!.textContent = backend;
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

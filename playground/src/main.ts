import * as st from '../../src/index.js';
import { selectBackend } from './backend-choice.js';
import { initConvExplainer } from './conv-explainer.js';
import { initDrawPanel } from './draw-panel.js';
import { initModelPanel } from './model-panel.js';
import { initTrainPanel } from './train-panel.js';
import './style.css';

async function main(): Promise<void> {
  const backend = await selectBackend();
  document.getElementById('backend')!.textContent = backend;
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

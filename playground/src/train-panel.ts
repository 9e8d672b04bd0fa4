// The training panel: picks the network (train-nets.ts), starts and pauses the worker, draws the
// loss/accuracy chart (st.viz's historyChart), the first layer's filters and the activation maps
// of one test image.
import * as st from '../../src/index.js';
import { paintImage } from './image-canvas.js';
import { netSpec, NETS, type NetId } from './train-nets.js';
import type { FromWorker, ToWorker, TrainSettings } from './train-protocol.js';

/** Elements of the panel, found by id in index.html. */
function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`playground: index.html has no #${id}`);
  return e as T;
}

/**
 * Wire up the training panel; `onModel` receives every newly trained model file of LeNet-5 (the
 * network the drawing panel can use).
 */
export function initTrainPanel(onModel: (bytes: Uint8Array) => void): void {
  const title = el<HTMLElement>('train-title');
  const about = el<HTMLElement>('train-about');
  const netSelect = el<HTMLSelectElement>('train-net');
  const filtersCaption = el<HTMLElement>('train-filters-caption');
  const status = el<HTMLElement>('train-status');
  const startBtn = el<HTMLButtonElement>('train-start');
  const pauseBtn = el<HTMLButtonElement>('train-pause');
  const resetBtn = el<HTMLButtonElement>('train-reset');
  const batchInput = el<HTMLInputElement>('train-batch');
  const lrInput = el<HTMLInputElement>('train-lr');
  const stepsInput = el<HTMLInputElement>('train-steps');
  const evalInput = el<HTMLInputElement>('train-eval');
  const chart = el<HTMLElement>('train-chart');
  const filters = el<HTMLCanvasElement>('train-filters');
  const probe = el<HTMLCanvasElement>('train-probe');
  const maps = el<HTMLElement>('train-activations');
  const download = el<HTMLAnchorElement>('train-download');

  const worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module' });
  const send = (m: ToWorker): void => worker.postMessage(m);
  // The subset sits next to index.html (Vite copies playground/public there).
  send({ type: 'load', dataUrl: new URL('mnist-subset.bin', document.baseURI).href });

  let history: st.History = { epochs: [], history: {} };
  let stepLoss = 0;
  let stepAcc = 0;
  let stepCount = 0;
  let speed = 0;
  let last = { step: 0, epoch: 0, testAccuracy: NaN };
  let backendName = '';
  let net: NetId = 'lenet5';

  const showNet = (id: NetId): void => {
    const spec = NETS[id];
    title.textContent = spec.title;
    about.textContent = spec.about;
    download.download = spec.fileName;
    filtersCaption.textContent = `${spec.filterLayer} filters`;
  };
  showNet(net);

  const describe = (): void => {
    const acc = Number.isNaN(last.testAccuracy) ? '-' : `${(100 * last.testAccuracy).toFixed(1)}%`;
    status.textContent =
      `step ${last.step} · epoch ${last.epoch.toFixed(2)} · ${speed.toFixed(0)} img/s on ${backendName}` +
      ` · test accuracy ${acc}`;
    status.dataset.step = String(last.step);
    status.dataset.testAccuracy = Number.isNaN(last.testAccuracy) ? '' : String(last.testAccuracy);
  };

  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    const m = e.data;
    if (m.type === 'ready') {
      backendName = m.backend;
      status.textContent = `ready: ${NETS[m.net].title}: ${m.trainCount} training and ${m.testCount} test images, backend ${m.backend}`;
      startBtn.disabled = false;
      netSelect.disabled = false;
      status.dataset.ready = 'true';
      status.dataset.net = m.net;
      // Step reports of the previous network arrive before this message; start the counts afresh.
      stepLoss = stepAcc = stepCount = 0;
      speed = 0;
      last = { step: 0, epoch: 0, testAccuracy: NaN };
    } else if (m.type === 'step') {
      stepLoss += m.loss;
      stepAcc += m.accuracy;
      stepCount++;
      speed = speed === 0 ? m.imagesPerSecond : 0.9 * speed + 0.1 * m.imagesPerSecond;
      last = { ...last, step: m.step, epoch: m.epoch };
      describe();
    } else if (m.type === 'eval') {
      if (m.net !== net) return; // a report of the network trained before the last switch
      history.epochs.push(Math.round(m.epoch * 100) / 100);
      const h = history.history;
      (h.loss ??= []).push(stepLoss / Math.max(1, stepCount));
      (h.accuracy ??= []).push(stepAcc / Math.max(1, stepCount));
      (h.val_loss ??= []).push(m.testLoss);
      (h.val_accuracy ??= []).push(m.testAccuracy);
      stepLoss = stepAcc = stepCount = 0;
      last = { step: m.step, epoch: m.epoch, testAccuracy: m.testAccuracy };
      describe();
      chart.innerHTML = st.viz.historyChart(history, {
        panelWidth: 320,
        panelHeight: 220,
        title: 'training (solid, mean since the last point) and test (dashed)',
      });
      paintImage(filters, m.filters, 12);
      paintImage(probe, m.probe, 4);
      maps.replaceChildren(
        ...m.activations.map(({ layer, grid }) => {
          const fig = document.createElement('figure');
          const c = document.createElement('canvas');
          paintImage(c, grid, layer === 'relu1' ? 2 : 4);
          const cap = document.createElement('figcaption');
          cap.textContent = layer;
          fig.append(c, cap);
          return fig;
        }),
      );
      const blob = new Blob([m.model as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
      if (download.href) URL.revokeObjectURL(download.href);
      download.href = URL.createObjectURL(blob);
      download.hidden = false;
      if (m.net === 'lenet5') onModel(m.model);
    } else if (m.type === 'paused') {
      startBtn.disabled = false;
      pauseBtn.disabled = true;
      status.dataset.running = 'false';
    } else {
      status.textContent = `error: ${m.message}`;
      status.dataset.error = m.message;
    }
  };

  const settings = (): TrainSettings => ({
    batchSize: Math.max(1, Math.round(Number(batchInput.value) || 32)),
    learningRate: Number(lrInput.value) || 1e-3,
    evalEvery: Math.max(1, Math.round(Number(evalInput.value) || 25)),
    maxSteps: Math.max(0, Math.round(Number(stepsInput.value) || 0)),
  });
  startBtn.onclick = () => {
    send({ type: 'start', settings: settings() });
    startBtn.disabled = true;
    pauseBtn.disabled = false;
    status.dataset.running = 'true';
  };
  pauseBtn.onclick = () => send({ type: 'pause' });
  const reset = (seed: number): void => {
    send({ type: 'reset', seed, net });
    history = { epochs: [], history: {} };
    stepLoss = stepAcc = stepCount = 0;
    last = { step: 0, epoch: 0, testAccuracy: NaN };
    chart.replaceChildren();
    pauseBtn.disabled = true;
    status.dataset.running = 'false';
    describe();
  };
  resetBtn.onclick = () => reset(Math.floor(Math.random() * 2 ** 31));
  netSelect.onchange = () => {
    net = netSpec(netSelect.value).id;
    showNet(net);
    // Until the worker says 'ready' (the synthetic set is generated on first use).
    startBtn.disabled = true;
    netSelect.disabled = true;
    delete status.dataset.ready;
    reset(0);
    status.textContent =
      NETS[net].data === 'synthetic' ? 'generating the synthetic 32x32x3 images…' : 'preparing LeNet-5…';
    filters.getContext('2d')?.clearRect(0, 0, filters.width, filters.height);
    probe.getContext('2d')?.clearRect(0, 0, probe.width, probe.height);
    maps.replaceChildren();
    download.hidden = true;
  };
}

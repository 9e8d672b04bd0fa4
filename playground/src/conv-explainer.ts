// The convolution explainer: pick an input size, kernel, stride, padding and dilation (or one of
// the lecture decks' worked examples); the page shows the output size formula with the numbers in,
// the padded input, the kernel and the output computed by st.conv2d, and, when the pointer is on
// an output cell, the input cells it sums and the products it adds up.
import * as st from '../../src/index.js';
import deck from '../../test/fixtures/lecture-conv.json';
import { convGeometry, outputSizeFormula, receptiveCells, type ExplainerPadding } from './conv-geometry.js';

interface DeckConv {
  name: string;
  input: number[][];
  filter: number[][];
  stride: number;
  padding: 'valid' | 'same';
  output: number[][];
}

const PRESETS: DeckConv[] = (deck as { conv2d: DeckConv[] }).conv2d;
const MAX_SIDE = 16;

function field(id: string): HTMLInputElement | HTMLSelectElement {
  return document.getElementById(id) as HTMLInputElement | HTMLSelectElement;
}

function grid(rows: number, cols: number, cell: (y: number, x: number) => HTMLElement): HTMLElement {
  const g = document.createElement('div');
  g.className = 'grid';
  g.style.gridTemplateColumns = `repeat(${cols}, 2.6em)`;
  for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) g.append(cell(y, x));
  return g;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

export function initConvExplainer(): void {
  const preset = field('conv-preset') as HTMLSelectElement;
  const size = field('conv-size') as HTMLInputElement;
  const kernel = field('conv-kernel') as HTMLInputElement;
  const stride = field('conv-stride') as HTMLInputElement;
  const padding = field('conv-padding') as HTMLSelectElement;
  const padN = field('conv-pad-n') as HTMLInputElement;
  const dilation = field('conv-dilation') as HTMLInputElement;
  const formula = document.getElementById('conv-formula') as HTMLElement;
  const view = document.getElementById('conv-view') as HTMLElement;
  const sumLine = document.getElementById('conv-sum') as HTMLElement;

  for (const [i, p] of PRESETS.entries()) {
    const o = document.createElement('option');
    o.value = String(i);
    o.textContent = p.name;
    preset.append(o);
  }

  let input: number[][] = [];
  let filter: number[][] = [];

  const values = (): void => {
    const p = preset.value === '' ? undefined : PRESETS[Number(preset.value)];
    if (p) {
      input = p.input;
      filter = p.filter;
      size.value = String(p.input.length);
      kernel.value = String(p.filter.length);
      stride.value = String(p.stride);
      padding.value = p.padding;
      dilation.value = '1';
    } else {
      const n = Number(size.value);
      const k = Number(kernel.value);
      input = Array.from({ length: n }, (_, y) => Array.from({ length: n }, (_, x) => (y * n + x) % 10));
      filter = Array.from({ length: k }, () => Array.from({ length: k }, () => 1));
    }
  };

  const render = (): void => {
    view.replaceChildren();
    sumLine.textContent = '';
    const n = Number(size.value);
    const k = Number(kernel.value);
    const s = Number(stride.value);
    const d = Number(dilation.value);
    const pad: ExplainerPadding =
      padding.value === 'n' ? Number(padN.value) : (padding.value as 'same' | 'valid');
    padN.disabled = padding.value !== 'n';
    if (!(n >= 1 && n <= MAX_SIDE)) {
      formula.textContent = `input size must be 1..${MAX_SIDE} here, got ${size.value}`;
      return;
    }
    let g;
    try {
      g = convGeometry(n, n, k, k, s, pad, d);
    } catch (err) {
      formula.textContent = err instanceof Error ? err.message : String(err);
      formula.dataset.error = 'true';
      return;
    }
    delete formula.dataset.error;
    const x = st.tensor(input).reshape([1, 1, n, n]);
    const w = st.tensor(filter).reshape([1, 1, k, k]);
    const out = st.conv2d(x, w, null, { stride: s, padding: pad, dilation: d }).reshape([g.outH, g.outW]);
    const outRows = out.toArray() as number[][];
    const p = g.pads;
    formula.replaceChildren();
    const lines = [
      `output height = ${outputSizeFormula(n, k, s, p.top, p.bottom, d)}`,
      `output width  = ${outputSizeFormula(n, k, s, p.left, p.right, d)}`,
      `padding: top ${p.top}, bottom ${p.bottom}, left ${p.left}, right ${p.right}` +
        (padding.value === 'same' && (p.top !== p.bottom || p.left !== p.right)
          ? " ('same' puts the odd pixel after, as TensorFlow does)"
          : ''),
    ];
    if (g.unreadRows > 0 || g.unreadCols > 0) {
      lines.push(
        `the windows do not fit exactly: the size is floored, and the last ${g.unreadRows} row(s) and ${g.unreadCols} column(s) are never read`,
      );
    }
    for (const l of lines) {
      const div = document.createElement('div');
      div.textContent = l;
      formula.append(div);
    }
    formula.dataset.out = `${g.outH}x${g.outW}`;

    const ph = n + p.top + p.bottom;
    const pw = n + p.left + p.right;
    const inCells: HTMLElement[][] = Array.from({ length: ph }, () => []);
    const inGrid = grid(ph, pw, (y, xx) => {
      const iy = y - p.top;
      const ix = xx - p.left;
      const inside = iy >= 0 && ix >= 0 && iy < n && ix < n;
      const c = document.createElement('div');
      c.className = inside ? 'cell' : 'cell pad';
      c.textContent = inside ? fmt(input[iy]![ix]!) : '0';
      inCells[y]!.push(c);
      return c;
    });
    inGrid.id = 'conv-input-grid';
    const kGrid = grid(k, k, (y, xx) => {
      const c = document.createElement('div');
      c.className = 'cell kernel';
      c.textContent = fmt(filter[y]![xx]!);
      return c;
    });
    const outGrid = grid(g.outH, g.outW, (oy, ox) => {
      const c = document.createElement('div');
      c.className = 'cell out';
      c.textContent = fmt(outRows[oy]![ox]!);
      c.dataset.oy = String(oy);
      c.dataset.ox = String(ox);
      c.addEventListener('pointerenter', () => {
        for (const row of inCells) for (const cell of row) cell.classList.remove('hit');
        const terms: string[] = [];
        for (const r of receptiveCells(g, oy, ox)) {
          const cell = inCells[r.y + p.top]?.[r.x + p.left];
          cell?.classList.add('hit');
          const v = r.padding ? 0 : input[r.y]![r.x]!;
          terms.push(`${fmt(v)}·${fmt(filter[r.ky]![r.kx]!)}`);
        }
        c.classList.add('hit');
        sumLine.textContent = `out[${oy}][${ox}] = ${terms.join(' + ')} = ${fmt(outRows[oy]![ox]!)}`;
      });
      c.addEventListener('pointerleave', () => {
        c.classList.remove('hit');
        for (const row of inCells) for (const cell of row) cell.classList.remove('hit');
      });
      return c;
    });
    outGrid.id = 'conv-output-grid';
    const fig = (title: string, body: HTMLElement): HTMLElement => {
      const f = document.createElement('figure');
      const cap = document.createElement('figcaption');
      cap.textContent = title;
      f.append(body, cap);
      return f;
    };
    view.append(
      fig(`input ${n}x${n}${ph !== n || pw !== n ? ` padded to ${ph}x${pw}` : ''}`, inGrid),
      fig(`kernel ${k}x${k}${d > 1 ? `, dilation ${d}` : ''}`, kGrid),
      fig(`output ${g.outH}x${g.outW} (st.conv2d)`, outGrid),
    );
  };

  preset.onchange = () => {
    values();
    render();
  };
  for (const f of [size, kernel]) {
    f.oninput = () => {
      preset.value = '';
      values();
      render();
    };
  }
  for (const f of [stride, padding, padN, dilation]) f.oninput = render;
  padding.onchange = render;
  preset.value = '0';
  values();
  render();
}

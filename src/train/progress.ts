import type { Callback, Logs, TrainingContext } from './callback.js';

/** Where progress goes: a TTY gets a redrawn bar, anything else one line per epoch. */
export interface ProgressSink {
  write(text: string): void;
  readonly isTTY: boolean;
}

/** The process's stdout when running in Node, else console.log lines. */
export function defaultSink(): ProgressSink {
  const proc = (globalThis as { process?: { stdout?: { write(s: string): boolean; isTTY?: boolean } } })
    .process;
  const out = proc?.stdout;
  if (out) return { write: (s) => void out.write(s), isTTY: out.isTTY === true };
  let buf = '';
  return {
    isTTY: false,
    write: (s) => {
      buf += s;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) console.log(l);
    },
  };
}

/** Format seconds as Keras does: `12s`, `1:05`. */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return '?';
  if (sec < 60) return `${Math.round(sec)}s`;
  const m = Math.floor(sec / 60);
  const s = Math.round(sec % 60);
  return `${m}:${String(s).padStart(2, '0')}`;
}

/** Render log values `name: 0.1234` joined by ' - '. */
export function formatLogs(logs: Logs): string {
  return Object.entries(logs)
    .map(([k, v]) => `${k}: ${Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(3)}`)
    .join(' - ');
}

/**
 * A Keras-like progress bar: `Epoch 1/2`, then ` 234/938 [=====>......] - ETA: 12s - loss: ...`,
 * redrawn in place on a TTY (at most ~10 times a second) and printed once per epoch otherwise.
 */
export class ProgressBar implements Callback {
  private readonly sink: ProgressSink;
  private readonly width: number;
  private epochStart = 0;
  private lastDraw = 0;
  private clock: () => number;

  constructor(opts: { sink?: ProgressSink; width?: number; clock?: () => number } = {}) {
    this.sink = opts.sink ?? defaultSink();
    this.width = opts.width ?? 30;
    this.clock = opts.clock ?? (() => performance.now());
  }

  onEpochBegin(epoch: number, ctx: TrainingContext): void {
    this.epochStart = this.clock();
    this.lastDraw = 0;
    this.sink.write(`Epoch ${epoch + 1}/${ctx.epochs}\n`);
  }

  private bar(done: number, total: number): string {
    const n = String(total).length;
    const filled = total > 0 ? Math.floor((this.width * done) / total) : this.width;
    const arrow = done < total ? '>' : '=';
    const body =
      '='.repeat(Math.max(filled - 1, 0)) + (filled > 0 ? arrow : '') + '.'.repeat(this.width - filled);
    return `${String(done).padStart(n)}/${total} [${body}]`;
  }

  onBatchEnd(batch: number, logs: Logs, ctx: TrainingContext): void {
    if (!this.sink.isTTY) return;
    const now = this.clock();
    const done = batch + 1;
    if (done < ctx.stepsPerEpoch && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const elapsed = (now - this.epochStart) / 1000;
    const eta = (elapsed / done) * (ctx.stepsPerEpoch - done);
    this.sink.write(
      `\r${this.bar(done, ctx.stepsPerEpoch)} - ETA: ${formatDuration(eta)} - ${formatLogs(logs)}\x1b[K`,
    );
  }

  onEpochEnd(_epoch: number, logs: Logs, ctx: TrainingContext): void {
    const elapsed = (this.clock() - this.epochStart) / 1000;
    const prefix = this.sink.isTTY ? '\r' : '';
    const perStep = ctx.stepsPerEpoch > 0 ? (elapsed * 1000) / ctx.stepsPerEpoch : 0;
    this.sink.write(
      `${prefix}${this.bar(ctx.stepsPerEpoch, ctx.stepsPerEpoch)} - ${formatDuration(elapsed)} ${perStep.toFixed(0)}ms/step - ${formatLogs(logs)}${this.sink.isTTY ? '\x1b[K' : ''}\n`,
    );
  }
}

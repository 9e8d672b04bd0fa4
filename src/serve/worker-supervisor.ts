import { WorkerExitError } from '../worker/worker-exit-error.js';
import { HttpError } from './http-error.js';

/** Work running in a worker thread: one job at a time through `run`, and how to stop the thread. */
export interface WorkerRunner<J, R> {
  run(job: J): Promise<R>;
  close(): Promise<void>;
}

/** Options of {@link WorkerSupervisor.start}. */
export interface SupervisorOptions<J, R> {
  /** The served model's name, for messages. */
  readonly name: string;
  /** Start a worker thread and resolve once it can run jobs (called again after each crash). */
  start(): Promise<WorkerRunner<J, R>>;
  /** Wait before the first restart after a crash, in ms; doubled per further crash in a row. */
  readonly restartDelayMs: number;
  /** The longest wait between restarts, in ms. */
  readonly maxRestartDelayMs: number;
  /** Called each time a new worker thread has taken over after a crash (counts restarts). */
  onRestart(): void;
  /** Says what happened (a crash, a failed restart). */
  warn(message: string): void;
}

/**
 * Keeps a model's worker thread running: when the thread dies while it holds jobs (an uncaught
 * error in the thread, `process.exit` on a native crash path, running out of memory: a
 * {@link WorkerExitError}), the jobs it held fail with a 503 that says so, the supervisor is not
 * {@link ready} while a new thread is started after a backoff (restartDelayMs, doubling per crash
 * in a row up to maxRestartDelayMs; a job that succeeds ends the row), and jobs that arrive
 * meanwhile get 503 + Retry-After. Any other error of a job is the job's own and passes through.
 */
export class WorkerSupervisor<J, R> {
  readonly #o: SupervisorOptions<J, R>;
  #runner: WorkerRunner<J, R> | null;
  /** Crashes (and failed restarts) in a row, for the backoff. */
  #crashes = 0;
  /** When the next restart is tried (ms since the epoch), while not ready. */
  #retryAt = 0;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  private constructor(o: SupervisorOptions<J, R>, runner: WorkerRunner<J, R>) {
    this.#o = o;
    this.#runner = runner;
  }

  /** Start the first worker thread and resolve once it can run jobs (a failure to start rejects). */
  static async start<J, R>(o: SupervisorOptions<J, R>): Promise<WorkerSupervisor<J, R>> {
    return new WorkerSupervisor(o, await o.start());
  }

  /** Whether a worker thread is up (false from a crash until its replacement has started). */
  get ready(): boolean {
    return this.#runner !== null;
  }

  /** Run `job` in the worker thread; see the class for what a crash does. */
  async run(job: J): Promise<R> {
    const runner = this.#runner;
    if (!runner) {
      throw new HttpError(
        503,
        `model '${this.#o.name}' is restarting its inference worker after a crash; retry shortly`,
        this.#retryAfter(),
      );
    }
    try {
      const out = await runner.run(job);
      this.#crashes = 0;
      return out;
    } catch (e) {
      if (!(e instanceof WorkerExitError)) throw e;
      this.#crashed(runner, e);
      throw new HttpError(
        503,
        `the inference worker of model '${this.#o.name}' crashed while running this request (${
          e.exitCode === null ? 'an uncaught error' : `exit code ${e.exitCode}`
        }); it is being restarted, retry shortly`,
        this.#retryAfter(),
      );
    }
  }

  #retryAfter(): Record<string, string> {
    return { 'retry-after': String(Math.max(1, Math.ceil((this.#retryAt - Date.now()) / 1000))) };
  }

  /** The first job to see `runner` die takes it out and schedules a new one; the others only fail. */
  #crashed(runner: WorkerRunner<J, R>, e: WorkerExitError): void {
    if (this.#runner !== runner) return;
    this.#runner = null;
    this.#o.warn(`model '${this.#o.name}': ${e.message}; restarting it`);
    void runner.close().catch(() => undefined);
    this.#scheduleRestart();
  }

  #scheduleRestart(): void {
    if (this.#closed) return;
    this.#crashes++;
    const delay = Math.min(this.#o.restartDelayMs * 2 ** (this.#crashes - 1), this.#o.maxRestartDelayMs);
    this.#retryAt = Date.now() + delay;
    this.#timer = setTimeout(() => void this.#restart(), delay);
  }

  async #restart(): Promise<void> {
    this.#timer = null;
    let runner: WorkerRunner<J, R>;
    try {
      runner = await this.#o.start();
    } catch (e) {
      this.#o.warn(
        `model '${this.#o.name}': restarting its inference worker failed: ${(e as Error).message}`,
      );
      this.#scheduleRestart();
      return;
    }
    if (this.#closed) {
      await runner.close();
      return;
    }
    this.#runner = runner;
    this.#o.onRestart();
  }

  /** Stop the worker thread and any pending restart. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    const runner = this.#runner;
    this.#runner = null;
    await runner?.close();
  }
}

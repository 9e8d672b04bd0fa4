import { StrideError } from '../errors.js';

/**
 * A worker thread died while it held work: an uncaught error in the thread, `process.exit` (a
 * native crash path), or running out of memory. The work it held is lost; the thread is gone, and
 * a new one must be started (`stride serve` restarts it with backoff).
 */
export class WorkerExitError extends StrideError {
  /** The thread's exit code, or null when it died by an uncaught error (its message is in this one's). */
  readonly exitCode: number | null;
  constructor(op: string, message: string, exitCode: number | null) {
    super(op, message);
    this.name = 'WorkerExitError';
    this.exitCode = exitCode;
  }
}

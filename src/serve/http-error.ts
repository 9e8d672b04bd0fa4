/**
 * An error the inference server answers with: an HTTP status, a message for the client (never a
 * file path or a stack trace), and optional headers such as `Retry-After`. The server turns it into
 * the Open Inference Protocol's error body `{ "error": message }`.
 */
export class HttpError extends Error {
  /** The HTTP status code (4xx for the client's mistakes, 503 when the server is busy). */
  readonly status: number;
  /** Extra response headers (e.g. `{ 'retry-after': '1' }`). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, message: string, headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.headers = headers;
  }
}

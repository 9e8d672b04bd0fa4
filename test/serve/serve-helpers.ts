import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import * as st from '../../src/node.js';

/**
 * A model whose answers are worked out by hand: input [1, 2, 2] = [a, b, c, d] gives
 * [a, b, a + b + c + d + 0.5].
 */
export function handModel(): st.Sequential {
  const lin = new st.Linear(4, 3);
  lin.weight.data.set([1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1]);
  lin.bias!.data.set([0, 0, 0.5]);
  return st.models.setDefaultInputShape(new st.Sequential(new st.Flatten(), lin), [1, 2, 2]);
}

/** The hand-worked answer of {@link handModel} for one sample. */
export function handAnswer([a, b, c, d]: readonly number[]): number[] {
  return [a!, b!, a! + b! + c! + d! + 0.5];
}

/**
 * An image classifier whose answer is known: the mean of each RGB channel of a 4x4 image, times 10
 * (logits), with classes red, green, blue.
 */
export function colourModel(): st.Sequential {
  const scale = new st.Linear(3, 3, { bias: false });
  scale.weight.data.set([10, 0, 0, 0, 10, 0, 0, 0, 10]);
  return st.models.setDefaultInputShape(
    new st.Sequential(new st.AdaptiveAvgPool2d(1), new st.Flatten(), scale),
    [3, 4, 4],
  );
}

/** POST `body` as JSON. */
export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** An infer request body for the input tensor named 'input'. */
export function inferBody(
  shape: number[],
  data: readonly unknown[],
  extra: Record<string, unknown> = {},
): unknown {
  return { ...extra, inputs: [{ name: 'input', shape, datatype: 'FP32', data }] };
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/**
 * A decompression bomb: a valid PNG header claiming `width` x `height` RGB pixels, followed by a
 * tiny compressed first row (what a bomb's zlib stream of zeros would start with).
 */
export function pngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, RGB, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1 + 3 * 64))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** {@link colourModel} with a model card: mean 0.5 and std 0.5 per channel, classes R, G, B. */
export function cardedColourModel(): st.Sequential {
  const model = colourModel();
  model.preprocessing = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
  model.classNames = ['R', 'G', 'B'];
  return model;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** A `stride serve` process started by a test, once it listens. */
export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
}

/** Start `stride serve <args>` (the CLI from source) and resolve with its URL once it listens. */
export async function startServeCli(args: readonly string[]): Promise<ServeProcess> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', () => reject(new Error(`stride serve exited early:\n${out}`)));
  });
  return { child, url, output: () => out };
}

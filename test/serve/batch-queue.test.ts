// Batch inference on BullMQ against a real redis-server (Debian package) started on a free
// loopback port: jobs submitted by this process are done by two `stride worker` processes, and a
// worker killed mid-job loses nothing.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import * as st from '../../src/node.js';
import { freePort } from './serve-helpers.js';

const hasRedis = spawnSync('redis-server', ['--version']).status === 0;
/** BullMQ 6 needs the ioredis package as its Redis client (an optional peer dependency). */
function hasIoredis(): boolean {
  try {
    createRequire(fileURLToPath(import.meta.resolve('bullmq')))('ioredis');
    return true;
  } catch {
    return false;
  }
}
const skip = !hasRedis
  ? 'redis-server is not installed (Debian package redis-server)'
  : !hasIoredis()
    ? "the npm package ioredis (BullMQ's Redis client) is not installed"
    : false;
const root = fileURLToPath(new URL('../..', import.meta.url));

/** A convolutional net slow enough that one 128x128 image takes a while; 8 outputs (classes). */
function slowModel(): st.Sequential {
  st.manualSeed(21);
  return new st.Sequential(
    new st.Conv2d(3, 48, 3, { padding: 1 }),
    new st.ReLU(),
    new st.Conv2d(48, 48, 3, { padding: 1 }),
    new st.ReLU(),
    new st.Conv2d(48, 8, 3, { padding: 1 }),
    new st.AdaptiveAvgPool2d(1),
    new st.Flatten(),
  );
}

const COLOURS: [number, number, number][] = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [255, 255, 0],
  [0, 255, 255],
  [255, 0, 255],
  [40, 40, 40],
  [250, 250, 250],
];

interface WorkerProc {
  child: ChildProcess;
  out: string;
  /** Resolves on the first match of `re` in the output from offset `from` on. */
  waitFor(re: RegExp, from?: number): Promise<RegExpExecArray>;
}

function startWorker(redis: string, model: string): WorkerProc {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'worker',
      '--redis',
      redis,
      model,
      '--input',
      '3x128x128',
      '--lock-ms',
      '1500',
      '--top-k',
      '1',
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const w: WorkerProc = {
    child,
    out: '',
    waitFor(re, from = 0) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const m = re.exec(w.out.slice(from));
          if (m) resolve(m);
          return m !== null;
        };
        if (check()) return;
        child.stdout!.on('data', () => check());
        child.on('exit', () => reject(new Error(`worker exited:\n${w.out}`)));
      });
    },
  };
  child.stdout!.on('data', (d: Buffer) => (w.out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (w.out += d.toString()));
  return w;
}

describe('batch inference on a Redis queue', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'stride-batch-'));
  let redisProc: ChildProcess;
  let redis: string;
  let workers: WorkerProc[] = [];
  const model = slowModel().eval();

  before(async () => {
    const port = await freePort();
    redisProc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    redis = `redis://127.0.0.1:${port}`;
    st.save(model, join(dir, 'model'));
    for (const batch of ['first', 'second']) {
      mkdirSync(join(dir, batch));
      for (const [i, [r, g, b]] of COLOURS.entries()) {
        if (i < 4 !== (batch === 'first')) continue;
        await sharp({ create: { width: 50, height: 30, channels: 3, background: { r, g, b } } })
          .png()
          .toFile(join(dir, batch, `c${i}.png`));
      }
    }
    workers = [startWorker(redis, join(dir, 'model')), startWorker(redis, join(dir, 'model'))];
    await Promise.all(workers.map((w) => w.waitFor(/worker \d+ ready/)));
  });
  after(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    redisProc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  /** The class of a solid-colour image, computed here on a tensor built by hand. */
  function expectedLabel([r, g, b]: [number, number, number]): string {
    const plane = 128 * 128;
    const data = new Float32Array(3 * plane);
    [r, g, b].forEach((v, c) => data.fill(v / 255, c * plane, (c + 1) * plane));
    const x = new st.Tensor(data, [1, 3, 128, 128]);
    const out = st.noGrad(() => model.forward(x)).data;
    return String(out.indexOf(Math.max(...out)));
  }

  it('jobs submitted here are done by two workers, each exactly once', async () => {
    const jobs = await st.submitImages([join(dir, 'first')], { redis });
    assert.equal(jobs.length, 4);
    const results = await st.batchResults({ redis, ids: jobs.map((j) => j.id), waitMs: 100 });
    assert.deepEqual(
      results.map((r) => r.state),
      ['completed', 'completed', 'completed', 'completed'],
    );
    for (const r of results) {
      const i = Number(/c(\d)\.png$/.exec(r.file)![1]);
      assert.equal(r.result!.predictions[0]!.label, expectedLabel(COLOURS[i]!));
      assert.equal(r.result!.file, r.file);
    }
    const byWorker = new Set(results.map((r) => r.result!.worker));
    assert.equal(byWorker.size, 2, `jobs done by ${[...byWorker].join(', ')}`);
  });

  it('a worker killed mid-job loses nothing: the job is retried and every job completes once', async () => {
    const doneBefore = workers.map((w) => (w.out.match(/ done: /g) ?? []).length);
    const jobs = await st.submitImages([join(dir, 'second')], { redis });
    const ids = new Set(jobs.map((j) => j.id));
    // Kill whichever worker starts one of these jobs first, while it computes.
    const offsets = workers.map((w) => w.out.length);
    const [started, killedJob] = await Promise.race(
      workers.map((w, i) => w.waitFor(/job (\d+) started/, offsets[i]).then((m) => [i, m[1]!] as const)),
    );
    const victim = workers[started]!;
    victim.child.kill('SIGKILL');
    assert.ok(ids.has(killedJob), `job ${killedJob} is not one of ${[...ids].join(', ')}`);
    const survivor = workers[1 - started]!;
    const results = await st.batchResults({ redis, ids: [...ids], waitMs: 100 });
    assert.deepEqual(
      results.map((r) => r.state),
      ['completed', 'completed', 'completed', 'completed'],
    );
    const killed = results.find((r) => r.id === killedJob)!;
    assert.ok(killed.attemptsStarted >= 2, `job ${killedJob} started ${killed.attemptsStarted} times`);
    assert.equal(killed.result!.worker, `${killed.result!.worker.split(':')[0]}:${survivor.child.pid}`);
    for (const r of results) {
      const i = Number(/c(\d)\.png$/.exec(r.file)![1]);
      assert.equal(r.result!.predictions[0]!.label, expectedLabel(COLOURS[i]!));
    }
    // Every job of this batch finished once in the surviving worker's log (none in the victim's after the kill).
    const survivorDone = (survivor.out.match(/ done: /g) ?? []).length - doneBefore[1 - started]!;
    const victimDone = (victim.out.match(/ done: /g) ?? []).length - doneBefore[started]!;
    assert.equal(survivorDone + victimDone, 4);
  });
});

// Scale-out behind a load balancer: the documented nginx example (examples/serve/nginx.conf), with
// its ports replaced by free ones, in front of two `stride serve` processes on loopback. Every
// request through nginx gets the model's answer, and both replicas take a share (read from each
// replica's own /metrics).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, inferBody, postJson, startServeCli, type ServeProcess } from './serve-helpers.js';

const NGINX = ['/usr/sbin/nginx', 'nginx'].find((b) => spawnSync(b, ['-v']).status === 0);
const skip = NGINX ? false : 'nginx is not installed (Debian package nginx)';
const EXAMPLE = fileURLToPath(new URL('../../examples/serve/nginx.conf', import.meta.url));

/** Successful infer requests a replica answered, from its Prometheus counter. */
async function inferCount(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('stride_http_requests_total{') && l.includes('/infer"') && l.includes('status="200"'),
    );
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('stride serve behind nginx (examples/serve/nginx.conf)', { skip }, () => {
  const replicas: ServeProcess[] = [];
  let nginx: ChildProcess | null = null;
  let prefix = '';
  let url = '';
  before(async () => {
    for (let i = 0; i < 2; i++) replicas.push(await startServeCli(['lenet5', '--port', '0', '--in-thread']));
    const port = await freePort();
    const conf = readFileSync(EXAMPLE, 'utf8')
      .replace('127.0.0.1:8081', new URL(replicas[0]!.url).host)
      .replace('127.0.0.1:8082', new URL(replicas[1]!.url).host)
      .replace('listen 127.0.0.1:8080;', `listen 127.0.0.1:${port};`);
    assert.notEqual(conf, readFileSync(EXAMPLE, 'utf8'));
    prefix = mkdtempSync(join(tmpdir(), 'stride-nginx-'));
    writeFileSync(join(prefix, 'nginx.conf'), conf);
    let log = '';
    nginx = spawn(
      NGINX!,
      ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', 'stderr', '-g', 'daemon off;'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    nginx.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    url = `http://127.0.0.1:${port}`;
    // nginx is up when its port answers the replicas' readiness.
    for (let tries = 0; ; tries++) {
      if (nginx.exitCode !== null) throw new Error(`nginx exited: ${log}`);
      try {
        if ((await fetch(`${url}/v2/health/ready`)).status === 200) break;
      } catch {
        if (tries > 200) throw new Error(`nginx did not answer: ${log}`);
      }
      await new Promise((res) => setTimeout(res, 50));
    }
  });
  after(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((res) => nginx!.once('exit', res));
      nginx.kill('SIGQUIT');
      await exited;
    }
    for (const r of replicas) {
      const exited = new Promise((res) => r.child.once('exit', res));
      r.child.kill('SIGTERM');
      await exited;
    }
    if (prefix) rmSync(prefix, { recursive: true, force: true });
  });

  it('spreads requests over both replicas, and each answer is the replicas’ own', async () => {
    const body = inferBody([1, 1, 32, 32], new Array(1024).fill(0.25));
    const answer = async (res: Response): Promise<string> =>
      JSON.stringify(((await res.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data);
    // Each replica's own answer, asked directly.
    const own = await Promise.all(
      replicas.map(async (r) => answer(await postJson(`${r.url}/v2/models/lenet5/infer`, body))),
    );
    const before = await Promise.all(replicas.map((r) => inferCount(r.url)));
    const n = 24;
    for (let wave = 0; wave < n / 4; wave++) {
      const answers = await Promise.all(
        Array.from({ length: 4 }, () => postJson(`${url}/v2/models/lenet5/infer`, body)),
      );
      for (const a of answers) {
        assert.equal(a.status, 200, await a.clone().text());
        assert.ok(own.includes(await answer(a)), 'the answer of one of the replicas');
      }
    }
    const after = await Promise.all(replicas.map((r) => inferCount(r.url)));
    const served = after.map((a, i) => a - before[i]!);
    assert.equal(served[0]! + served[1]!, n, `per replica: ${served}`);
    assert.ok(
      served.every((s) => s > 0),
      `both replicas take requests: ${served}`,
    );
  });
});

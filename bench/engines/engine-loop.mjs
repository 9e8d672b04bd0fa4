// The engine side of the benchmark protocol: JSON lines on stdin/stdout.
//   {"id", "cmd": "info"}                      -> {"id", "ok": true, "info": {...}}
//   {"id", "cmd": "setup", "workload"}         -> {"id", "ok": true, "note"?} or {"id", "ok": false, "error"}
//   {"id", "cmd": "run", "workload", "iters"}  -> {"id", "ok": true, "seconds"}
//   {"id", "cmd": "memory"}                    -> {"id", "ok": true, "maxRssBytes"} (peak resident set)
// `run` times only the iterations themselves, inside the engine process.
import { createInterface } from 'node:readline';

/**
 * Serve the protocol with `engine`: { info(), setup(workload) -> note|undefined, run(workload) }.
 * setup() should build the workload and warm it up; run() performs one iteration.
 */
export function serve(engine) {
  const out = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);
  const rl = createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  rl.on('line', (line) => {
    queue = queue.then(async () => {
      const msg = JSON.parse(line);
      try {
        if (msg.cmd === 'info') out({ id: msg.id, ok: true, info: await engine.info() });
        else if (msg.cmd === 'setup') out({ id: msg.id, ok: true, note: await engine.setup(msg.workload) });
        else if (msg.cmd === 'run') {
          const t0 = process.hrtime.bigint();
          for (let i = 0; i < msg.iters; i++) await engine.run(msg.workload);
          out({ id: msg.id, ok: true, seconds: Number(process.hrtime.bigint() - t0) / 1e9 });
        } else if (msg.cmd === 'memory') {
          out({ id: msg.id, ok: true, maxRssBytes: process.resourceUsage().maxRSS * 1024 });
        } else if (msg.cmd === 'quit') process.exit(0);
        else out({ id: msg.id, ok: false, error: `unknown command ${msg.cmd}` });
      } catch (e) {
        out({ id: msg.id, ok: false, error: String(e && e.stack ? e.stack.split('\n')[0] : e) });
      }
    });
  });
  rl.on('close', () => queue.then(() => process.exit(0)));
}

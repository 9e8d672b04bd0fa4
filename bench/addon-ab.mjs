// Shared plumbing of the A/B scripts that load two builds of the native addon in one process and
// time the same calls through each, alternating block by block (conv-ab, pointwise-ab,
// resnet-layers-ab, gemm-ab): the command line (BASE.node [NEW.node] and --name value options),
// the builds, and the race itself with wall and process CPU time per call.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);

/** The median of a list of numbers. */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Milliseconds from a monotonic clock. */
export const now = () => Number(process.hrtime.bigint()) / 1e6;

/** The value after `--name` on the command line (a string), or `dflt`. */
export function opt(name, dflt) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

/**
 * The paths of the two addon builds named on the command line, [BASE, NEW]; NEW defaults to the
 * current build. Prints `usage` and exits when BASE is missing.
 */
export function buildPaths(usage) {
  const args = process.argv
    .slice(2)
    .filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
  if (args.length < 1) {
    console.error(`usage: ${usage}`);
    process.exit(1);
  }
  return [resolve(args[0]), resolve(args[1] ?? 'native/build/Release/stride_native.node')];
}

/** The two builds of {@link buildPaths}, loaded, as [['base', addon], ['new', addon]]. */
export function loadBuilds(usage) {
  const [base, next] = buildPaths(usage);
  return [
    ['base', require(base)],
    ['new', require(next)],
  ];
}

/**
 * Time `run(addon, k)` through each build (k its index) on `threads` threads: one warm-up round,
 * then `reps` rounds of `block` calls per build, alternating. Returns the median ms per call of
 * each build (`wall`) and the process CPU time per call (`cpu`, every thread).
 */
export function raceBuilds(builds, { threads, reps, block, run }) {
  for (const [, a] of builds) a.setNumThreads(threads);
  const wall = builds.map(() => []);
  const cpu = builds.map(() => []);
  for (let r = -1; r < reps; r++)
    builds.forEach(([, a], k) => {
      const c0 = process.cpuUsage();
      const t0 = now();
      for (let i = 0; i < block; i++) run(a, k);
      const ms = (now() - t0) / block;
      const c = process.cpuUsage(c0);
      if (r < 0) return;
      wall[k].push(ms);
      cpu[k].push((c.user + c.system) / 1000 / block);
    });
  return { wall: wall.map(median), cpu: cpu.map(median) };
}

/** One line of a race: label, threads, base and new wall ms and their ratio, then the same for CPU. */
export function raceLine(label, threads, { wall: [b, n], cpu: [bc, nc] }) {
  return (
    `${label.padEnd(16)} ${String(threads).padStart(7)} ${b.toFixed(3).padStart(8)} ${n.toFixed(3).padStart(8)}   ${(b / n).toFixed(2)}x` +
    `   cpu ${bc.toFixed(3).padStart(8)} ${nc.toFixed(3).padStart(8)}   ${(bc / nc).toFixed(2)}x`
  );
}

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
/** Where `npm run playground:build` writes the static site. */
export const PLAYGROUND_DIST = join(ROOT, 'playground', 'dist');

function newest(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((n) => newest(join(path, n))));
}

/**
 * Build the playground (the MNIST subset and `vite build`) when playground/dist is missing or
 * older than any of its sources (the page, Stride's src/, the data script, the bench page).
 */
export function ensurePlaygroundBuild(): void {
  const stamp = join(PLAYGROUND_DIST, 'index.html');
  const sources = [
    'playground/src',
    'playground/index.html',
    'playground/bench.html',
    'playground/vite.config.mjs',
    'playground/public/_headers',
    'src',
    'scripts/playground-data.mjs',
  ]
    .map((p) => join(ROOT, p))
    .filter((p) => existsSync(p));
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= Math.max(...sources.map(newest))) return;
  for (const [cmd, args] of [
    [process.execPath, [join(ROOT, 'scripts', 'playground-data.mjs')]],
    [
      process.execPath,
      [
        join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
        'build',
        '--config',
        'playground/vite.config.mjs',
        '--logLevel',
        'warn',
      ],
    ],
  ] as const) {
    const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0)
      throw new Error(`building the playground failed: ${cmd} ${args.join(' ')} exited with ${r.status}`);
  }
}

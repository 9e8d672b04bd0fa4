import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  license: string;
  files: string[];
};

/** Whether `file` (absolute) is shipped: under one of package.json's `files` entries. */
const shipped = (file: string) =>
  pkg.files.some((f) => {
    const rel = relative(join(root, f), file);
    return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !rel.includes(`..${sep}`));
  });

test('the package has an MIT LICENSE file naming Stride contributors', () => {
  assert.equal(pkg.license, 'MIT');
  const text = readFileSync(join(root, 'LICENSE'), 'utf8');
  assert.match(text, /^MIT License/);
  assert.match(text, /Copyright \(c\) \d{4} Stride contributors/);
});

test('npm reads the project config without "Unknown project config" warnings', () => {
  const r = spawnSync('npm', ['pkg', 'get', 'name'], { cwd: root, encoding: 'utf8' });
  if (r.error) return; // npm not on PATH (e.g. a bare node image): nothing to check.
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /Unknown (project|user|env) config/);
  const allow = (
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> }
  ).allowScripts;
  assert.equal(
    allow?.['onnxruntime-node'],
    false,
    'onnxruntime-node must not download CUDA files on install',
  );
});

test('source maps point at sources the package ships (or embed them)', (t) => {
  const dist = join(root, 'dist', 'src');
  if (!existsSync(join(dist, 'index.js.map'))) {
    t.skip('dist/ is not built: run npm run build');
    return;
  }
  const maps: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.map')) maps.push(join(d, e.name));
    }
  };
  walk(dist);
  assert.ok(
    maps.some((m) => m.endsWith('.d.ts.map')),
    'declaration maps are emitted',
  );
  for (const map of maps) {
    const m = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[]; sourcesContent?: string[] };
    assert.ok(shipped(map), `${map} is shipped`);
    for (const s of m.sources) {
      const src = resolve(dirname(map), s);
      assert.ok(
        existsSync(src) && shipped(src),
        `${relative(root, map)} points at ${relative(root, src)}, which is not shipped`,
      );
    }
    if (map.endsWith('.js.map'))
      assert.equal(m.sourcesContent?.length, m.sources.length, `${map} embeds its sources`);
  }
});

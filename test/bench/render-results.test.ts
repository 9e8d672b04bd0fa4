import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
// @ts-expect-error: a plain .mjs module of the bench, without types
import { SHORTFALL_NOTES } from '../../bench/shortfall-notes.mjs';

// `npm run bench -- --render` rewrites RESULTS.md from the committed bench/results.json and the
// current notes without measuring: the numbers must be those of the committed RESULTS.md (the same
// run), and every row behind its peer must carry its note from bench/shortfall-notes.mjs.

const coordinator = join('bench', 'coordinator.mjs');
const committed = readFileSync(join('bench', 'RESULTS.md'), 'utf8');
const raw = JSON.parse(readFileSync(join('bench', 'results.json'), 'utf8')) as { runId: string };

function render(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [coordinator, '--render', ...args], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

/** RESULTS.md without its "Rows where Stride is behind" notes (what changes when a note does). */
const numbers = (md: string) => md.split('### Rows where Stride is behind')[0];

test('--render rebuilds RESULTS.md from results.json: the same run, numbers and machine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stride-render-'));
  try {
    const out = join(dir, 'RESULTS.md');
    // The machine facts come from results.json (or, for a results.json written before it kept
    // them, from the RESULTS.md of the same run: the next test).
    writeFileSync(out, committed);
    const r = render(['--out', out]);
    assert.equal(r.status, 0, r.stderr);
    const md = readFileSync(out, 'utf8');
    assert.ok(md.includes(`- Run: ${raw.runId} (`), 'the run id of results.json');
    assert.equal(numbers(md), numbers(committed));
    const behind = md.split('### Rows where Stride is behind')[1] ?? '';
    for (const line of behind.split('\n').filter((l) => l.startsWith('- **'))) {
      const id = Object.keys(SHORTFALL_NOTES as Record<string, string>).find((w) =>
        line.endsWith((SHORTFALL_NOTES as Record<string, string>)[w]!),
      );
      assert.ok(id, `a row behind without its current note: ${line.slice(0, 80)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--render refuses to take machine facts from the report of another run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stride-render-'));
  try {
    // A results.json written before it kept the machine facts takes them from the report of the
    // same run; a report of another run is refused.
    const { facts: _facts, ...withoutFacts } = raw as { runId: string; facts?: unknown };
    const results = join(dir, 'results.json');
    writeFileSync(results, JSON.stringify(withoutFacts));
    const out = join(dir, 'RESULTS.md');
    writeFileSync(out, committed.replace(raw.runId, '2000-01-01T00:00:00.000Z @ 0000000'));
    const r = render(['--results', results, '--out', out]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /describes another run; rerun the benchmark/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

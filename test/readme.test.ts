import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = join(root, 'src', 'node.ts');

/** The ```ts blocks of the README, in order. */
function examples(): string[] {
  const md = readFileSync(join(root, 'README.md'), 'utf8');
  return [...md.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

const NUMBER = /-?\d+(\.\d+)?(e-?\d+)?/g;
const numbers = (s: string) => (s.match(NUMBER) ?? []).map(Number);
/** A printed line with its numbers blanked and whitespace dropped: the words, booleans and brackets that must match exactly. */
const skeleton = (s: string) => s.replace(NUMBER, '#').replace(/\s+/g, '');

/**
 * Every TypeScript example in the README runs as written (with `'stride'` resolved to this
 * checkout), and every `console.log(...) // expected` line prints what its comment shows: the same
 * words, booleans and brackets, and the same numbers to a relative 1e-4.
 */
describe('README examples', () => {
  const blocks = examples();
  it('has examples', () => assert.ok(blocks.length >= 3));
  for (const [i, code] of blocks.entries()) {
    it(`example ${i + 1} runs and prints what its comments say`, { timeout: 300_000 }, () => {
      const dir = mkdtempSync(join(tmpdir(), 'stride-readme-'));
      try {
        const file = join(dir, `example${i + 1}.mts`);
        writeFileSync(file, code.replaceAll(`from 'stride'`, `from ${JSON.stringify(entry)}`));
        const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8' });
        assert.equal(r.status, 0, `example ${i + 1} failed:\n${r.stderr}`);
        const expected = code
          .split('\n')
          .filter((l) => /^console\.log\(.*\);\s*\/\/ /.test(l))
          .map((l) => l.slice(l.indexOf('// ') + 3));
        const printed = r.stdout.trim().split('\n');
        assert.ok(
          printed.length >= expected.length,
          `expected ${expected.length} printed lines, got:\n${r.stdout}`,
        );
        expected.forEach((exp, k) => {
          assert.equal(
            skeleton(printed[k]!),
            skeleton(exp),
            `line ${k + 1}: printed '${printed[k]}', README says '${exp}'`,
          );
          const want = numbers(exp);
          const got = numbers(printed[k]!);
          assert.equal(
            got.length,
            want.length,
            `line ${k + 1}: printed '${printed[k]}', README says '${exp}'`,
          );
          got.forEach((g, j) =>
            assert.ok(
              Math.abs(g - want[j]!) <= 1e-4 * Math.max(1, Math.abs(want[j]!)),
              `line ${k + 1}: printed '${printed[k]}', README says '${exp}'`,
            ),
          );
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { missingAddonMessage } from '../../src/backend/native/load-addon.js';
import { backendEnvProblem } from '../../src/backend/native/register-native.js';

test('STRIDE_BACKEND: a bad value is one line naming the choices, and Stride keeps running', () => {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '-e', "import('./src/node.ts').then((st) => console.log('backend=' + st.backend()))"],
    { encoding: 'utf8', env: { ...process.env, STRIDE_BACKEND: 'cuda' } },
  );
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => l.includes('STRIDE_BACKEND'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /STRIDE_BACKEND='cuda' names no backend \(available: reference/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.match(r.stdout, /backend=(native|reference)/);
});

test('backendEnvProblem: unset, empty and known names are fine; native without the addon is left to the build hint', () => {
  assert.equal(backendEnvProblem(undefined, ['reference'], false), null);
  assert.equal(backendEnvProblem('', ['reference'], false), null);
  assert.equal(backendEnvProblem('reference', ['reference', 'native'], true), null);
  assert.equal(backendEnvProblem('native', ['reference'], false), null);
  assert.match(backendEnvProblem('gpu', ['reference', 'native'], true)!, /using 'native'/);
});

test('the missing-addon hint says npm rebuild stride inside a depending project, build:native in the checkout', () => {
  assert.match(
    missingAddonMessage('/home/me/app/node_modules/stride'),
    /'npm rebuild stride' in your project/,
  );
  assert.match(missingAddonMessage('C:\\app\\node_modules\\stride'), /npm rebuild stride/);
  assert.match(missingAddonMessage('/home/me/src/stride'), /'npm run build:native'/);
});

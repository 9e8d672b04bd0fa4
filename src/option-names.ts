import { ValueError } from './errors.js';

/** Levenshtein distance, for "did you mean" (names are short). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(up + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

/** The known name closest to `name` (case-insensitive, a few edits at most), if any. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(name.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/**
 * Refuse option names `op` does not know, for plain-JavaScript callers whom TypeScript does not
 * check: `{ numClases: 10 }` throws a `ValueError` naming the option, the closest known one and
 * the full list. `hints` gives a tailored message for names that are known mistakes (e.g.
 * `pretrained`). `undefined` values are ignored like absent ones.
 */
export function checkOptionNames(
  op: string,
  opts: object | undefined,
  known: readonly string[],
  hints: Readonly<Record<string, string>> = {},
): void {
  if (opts === undefined || opts === null) return;
  if (typeof opts !== 'object' || Array.isArray(opts))
    throw new ValueError(
      op,
      `options must be an object, got ${Array.isArray(opts) ? 'an array' : typeof opts}`,
    );
  for (const [name, value] of Object.entries(opts)) {
    if (known.includes(name) || value === undefined) continue;
    const hint = hints[name];
    if (hint !== undefined) throw new ValueError(op, hint);
    const close = closestName(name, known);
    throw new ValueError(
      op,
      `unknown option '${name}'${close ? ` (did you mean '${close}'?)` : ''}; known options: ${known.join(', ')}`,
    );
  }
}

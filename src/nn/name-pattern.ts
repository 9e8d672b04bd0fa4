/**
 * A pattern that selects parameters (or whole submodules) by their dotted name: a glob string,
 * a regular expression, or a list of them.
 *
 * Glob strings: `*` matches any run of characters (dots included), `?` one character; everything
 * else is literal. A pattern selects a parameter when it matches the parameter's full name
 * (`features.0.weight`) or the name of a module that contains it (`features`, `features.0`), so
 * `'features'` selects every parameter under `features`, and `'*.bias'` every bias.
 * Regular expressions are tested the same way, against each of those names.
 */
export type NamePattern = string | RegExp | readonly (string | RegExp)[];

function globToRegExp(glob: string): RegExp {
  let src = '';
  for (const ch of glob) {
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[\\^$.+()[\]{}|/]/g, '\\$&');
  }
  return new RegExp(`^${src}$`);
}

/** The names a pattern is tested against for `name`: each dotted prefix and the full name. */
function candidates(name: string): string[] {
  const parts = name.split('.');
  return parts.map((_, i) => parts.slice(0, i + 1).join('.'));
}

/** Compile a {@link NamePattern} into a predicate over dotted parameter names. */
export function compileNamePattern(pattern: NamePattern): (name: string) => boolean {
  const list = typeof pattern === 'string' || pattern instanceof RegExp ? [pattern] : pattern;
  // Stateless copies of user regexps: a /g or /y flag would make test() depend on earlier calls.
  const res = list.map((p) =>
    typeof p === 'string' ? globToRegExp(p) : new RegExp(p.source, p.flags.replace(/[gy]/g, '')),
  );
  return (name) => candidates(name).some((c) => res.some((re) => re.test(c)));
}

/** Render a pattern for messages. */
export function describeNamePattern(pattern: NamePattern): string {
  const list = typeof pattern === 'string' || pattern instanceof RegExp ? [pattern] : pattern;
  return list.map((p) => (typeof p === 'string' ? `'${p}'` : String(p))).join(', ');
}

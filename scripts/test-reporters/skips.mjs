// A node:test reporter that writes one JSON line per skipped test or suite:
// { "name", "file", "reason" }. scripts/run-tests.mjs passes it next to the spec reporter and
// reads the file afterwards to print the skips and, under CI=true, to fail the run on any of them.
export default async function* skips(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { skip, name, file } = event.data;
    if (skip === undefined || skip === false) continue;
    const reason = typeof skip === 'string' && skip.length > 0 ? skip : '(no reason given)';
    yield `${JSON.stringify({ name, file: file ?? null, reason })}\n`;
  }
}

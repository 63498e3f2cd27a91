#!/usr/bin/env node
// Runs every *.test.js under a directory with uvu, like `uvu DIR '.*\.test\.js$'`, but exits when
// the suites are done even if a test left a timer or socket open (which would hang `npm test`).
// Usage: node scripts/run-tests.mjs DIR [PATTERN]
import { parse } from 'uvu/parse';
import { run } from 'uvu/run';

const [dir, pattern = '.*\\.test\\.js$'] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node scripts/run-tests.mjs DIR [PATTERN]');
  process.exit(2);
}
try {
  const ctx = await parse(dir, pattern, {});
  await run(ctx.suites, {});
} catch (err) {
  console.error(err?.stack ?? String(err));
  process.exitCode = 1;
}
// Give pending stdout writes a moment, then leave whatever handles a test forgot.
setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
setTimeout(() => process.exit(process.exitCode ?? 0), 2_000);

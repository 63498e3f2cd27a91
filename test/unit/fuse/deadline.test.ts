// Deadlines of FUSE operations (fuse/deadline.ts): an answer passes through, work that ignores its
// signal is cut off at its timeout (plus at most the slot), shutdown aborts what runs and what comes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RedCloudError, errors } from '../../../src/common/errors.js';
import { Deadlines, SLOT_MS } from '../../../fuse/deadline.js';

const never = (): Promise<never> => new Promise(() => undefined);

test('an answer and an error of the work pass through', async () => {
  const d = new Deadlines();
  assert.is(await d.run('getattr', 1000, async () => 7), 7);
  const err = await d.run('getattr', 1000, async () => { throw errors.notFound('gone'); }).catch((e: unknown) => e);
  assert.is((err as RedCloudError).code, 'NOT_FOUND');
});

test('work that ignores its signal fails with TIMEOUT after its timeout, not later than the slot; its signal fires', async () => {
  const d = new Deadlines();
  let signal: AbortSignal | undefined;
  const t0 = Date.now();
  const err = await d.run('read', 80, (s) => { signal = s; return never(); }).catch((e: unknown) => e) as RedCloudError;
  const took = Date.now() - t0;
  assert.is(err.code, 'TIMEOUT');
  assert.match(err.message, /^read timed out after 80 ms/);
  assert.ok(took >= 80 && took < 80 + SLOT_MS + 500, `${took} ms`);
  assert.ok(signal!.aborted);
  assert.is(await d.run('read', 80, async (s) => s.aborted), false, 'a new operation gets a live signal');
});

test('shutdown aborts the operations running and every one after it', async () => {
  const ac = new AbortController();
  const d = new Deadlines(ac.signal);
  const running = d.run('write', 60_000, () => never()).catch((e: unknown) => e);
  ac.abort();
  const err = await running as RedCloudError;
  assert.is(err.code, 'ABORTED');
  assert.match(err.message, /^write aborted: unmounting/);
  const later = await d.run('open', 60_000, () => never()).catch((e: unknown) => e) as RedCloudError;
  assert.is(later.code, 'ABORTED');
});

test.run();

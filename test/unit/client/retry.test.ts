// retryUnavailable: UNAVAILABLE is retried with doubling pauses up to the tries, within the signal;
// other errors and an aborted signal end it at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { retryDelayMs, retryUnavailable } from '../../../src/client/retry.js';
import { errors } from '../../../src/common/errors.js';
import { rejectsMatching as rejects } from '../../helpers/rejects.js';

test('retries UNAVAILABLE until it succeeds, pausing 200, 400, 800 … ms (at most 2 s)', async () => {
  const pauses: number[] = [];
  let calls = 0;
  const out = await retryUnavailable(async () => {
    if (++calls < 6) throw errors.unavailable('Only 0 chunkserver(s) can take chunk');
    return 'ok';
  }, { signal: new AbortController().signal, sleep: async (ms) => { pauses.push(ms); return true; } });
  assert.is(out, 'ok');
  assert.equal(pauses, [200, 400, 800, 1600, 2000]);
  assert.is(retryDelayMs(40, 200, 2000), 2000);
});

test('other errors, the last try and an aborted signal throw the error as it came', async () => {
  const sleep = async () => true;
  const signal = new AbortController().signal;
  let calls = 0;
  await rejects(retryUnavailable(async () => { calls++; throw errors.notFound('gone'); }, { signal, sleep }), /gone/);
  assert.is(calls, 1);
  calls = 0;
  await rejects(retryUnavailable(async () => { calls++; throw errors.unavailable('down'); }, { signal, sleep, tries: 3 }), /down/);
  assert.is(calls, 3);
  const ac = new AbortController();
  calls = 0;
  await rejects(retryUnavailable(async () => { calls++; ac.abort(); throw errors.unavailable('down'); }, { signal: ac.signal }), /down/);
  assert.is(calls, 1);
});

test.run();

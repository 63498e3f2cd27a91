/**
 * Assertions on rejected promises: by the RedCloudError code they carry, or by their message.
 */
import * as assert from 'uvu/assert';
import { RedCloudError } from '../../src/common/errors.js';

/** `p` rejects with a RedCloudError whose code is `code`. */
export async function rejectsWithCode(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, RedCloudError);
    assert.is((err as RedCloudError).code, code);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

/** `p` (or what `p()` returns) rejects with a message matching `re`. */
export async function rejectsMatching(p: Promise<unknown> | (() => Promise<unknown>), re: RegExp): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    assert.match((err as Error).message, re);
    return;
  }
  assert.unreachable(`expected a rejection matching ${re}`);
}

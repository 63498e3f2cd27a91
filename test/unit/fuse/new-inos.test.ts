// Inode ids a mount chooses for creates in a burst (fuse/new-inos.ts): only within the burst
// window, unique, of the shape the controller accepts, and off once a commit answers another number.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NEW_INO_RE } from '../../../src/common/api.js';
import { silentLogger } from '../../../src/common/logger.js';
import { inoNumber } from '../../../src/meta/keys.js';
import { NewInos } from '../../../fuse/new-inos.js';
import { BURST_WINDOW_MS } from '../../../fuse/unlink-behind.js';

test('an id only for a create within the burst window of the previous one; ids unique, numbers their hash', () => {
  let now = 0;
  const n = new NewInos(() => now, silentLogger());
  assert.is(n.take(), undefined, 'a lone create asks the controller');
  const ids = [];
  for (let i = 0; i < 50; i++) {
    now += 3;
    const c = n.take()!;
    assert.ok(NEW_INO_RE.test(c.id), c.id);
    assert.is(c.number, inoNumber(c.id));
    ids.push(c.id);
  }
  assert.is(new Set(ids).size, 50);
  now += BURST_WINDOW_MS + 1;
  assert.is(n.take(), undefined, 'the burst is over');
  const other = new NewInos(() => 0, silentLogger());
  other.take();
  assert.is.not(other.take()!.id.split('.')[0], ids[0]!.split('.')[0], 'another mount, another prefix');
});

test('a first commit answered with another number turns the bursts off', () => {
  let now = 0;
  const n = new NewInos(() => now, silentLogger());
  n.take();
  now += 1;
  const c = n.take()!;
  n.committed(c, c.number);
  now += 1;
  const d = n.take()!;
  assert.ok(d, 'the same number: still on');
  n.committed(d, d.number + 1);
  now += 1;
  assert.is(n.take(), undefined);
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TtlCache } from '../../../fuse/ttl-cache.js';

const keys = (c: TtlCache<number>, all: string[]): string[] => all.filter((k) => c.get(k) !== undefined);

test('deleteTree drops the key and everything below it, nothing beside it', () => {
  const c = new TtlCache<number>(1000, () => 0);
  const all = ['/', '/a', '/a/b', '/a/b/c', '/ab', '/ab/x', '/d/e'];
  all.forEach((k, i) => c.set(k, i));
  c.deleteTree('/a');
  assert.equal(keys(c, all), ['/', '/ab', '/ab/x', '/d/e']);
  c.deleteTree('/d'); // /d itself was never cached, /d/e was
  assert.equal(keys(c, all), ['/', '/ab', '/ab/x']);
  c.deleteTree('/ab/x'); // a file: only its own key
  assert.equal(keys(c, all), ['/', '/ab']);
  c.deleteTree('/');
  assert.equal(keys(c, all), []);
});

test('deleteTree still finds keys below after deletes, expiry, eviction and re-sets', () => {
  let now = 0;
  const c = new TtlCache<number>(10, () => now, 3);
  c.set('/x/1', 1);
  c.set('/x/1', 2); // replaced: counted once
  c.delete('/x/1');
  c.set('/x/2', 3);
  c.deleteTree('/x');
  assert.is(c.get('/x/2'), undefined);
  c.set('/y/1', 1);
  now = 20;
  assert.is(c.get('/y/1'), undefined); // expired on read
  c.set('/y/2', 2);
  c.set('/z/1', 3);
  c.set('/z/2', 4);
  c.set('/z/3', 5); // over 3 entries: /y/2 is evicted
  assert.is(c.get('/y/2'), undefined);
  c.deleteTree('/y');
  assert.equal(keys(c, ['/z/1', '/z/2', '/z/3']), ['/z/1', '/z/2', '/z/3']);
  c.update('/z/1', (v) => v + 1);
  assert.is(c.get('/z/1'), 4);
  c.deleteTree('/z');
  assert.equal(keys(c, ['/z/1', '/z/2', '/z/3']), []);
  c.set('/z/9', 1);
  c.clear();
  c.set('/q', 1);
  c.deleteTree('/z'); // nothing below /z after clear: /q stays
  assert.is(c.get('/q'), 1);
});

test.run();

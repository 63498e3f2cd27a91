import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MetaRecord } from '../../../src/meta/types.js';
import { RecentRecords } from '../../../src/controller/recent-records.js';

const rec = (key: string, v = 0): MetaRecord => ({ key, type: 'dead', v } as unknown as MetaRecord);

test('holds at most its bound, newest writes win, a hit in the old generation survives the next turnover', () => {
  const r = new RecentRecords(4);
  r.put(rec('a'));
  r.put(rec('b'));
  r.put(rec('c')); // young {a,b} full: becomes old
  const a2 = rec('a', 2);
  r.put(a2); // young {c, a2}; old {a, b}
  assert.is(r.get('a'), a2, 'the newer version');
  assert.ok(r.get('b'), 'b from the old generation, brought forward');
  r.put(rec('d')); // young {c,a2} was full: old {c,a2}, young {b?}
  const held = ['a', 'b', 'c', 'd'].filter((k) => r.get(k) !== undefined);
  assert.ok(held.length <= 4);
  assert.ok(held.includes('d'));
  for (let i = 0; i < 100; i++) r.put(rec(`k${i}`));
  assert.ok(['a', 'b', 'c', 'd'].every((k) => r.get(k) === undefined), 'old keys aged out');
  assert.ok(r.get('k99') && r.get('k98'));
  r.clear();
  assert.is(r.get('k99'), undefined);
});

test.run();

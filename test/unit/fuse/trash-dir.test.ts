// The mount's .trash view (fuse/trash-dir.ts trashTree): <time>/<original path>, the directories
// between shown too, a directory entry holding what was below it, two entries with one path in one
// second both shown (the later as name~<id>).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { TrashItem } from '../../../src/common/api.js';
import { trashTree } from '../../../fuse/trash-dir.js';

const T = '2026-12-01T14:03:07Z';
const item = (id: string, path: string, kind: TrashItem['kind'] = 'file', removedAtMs = 1, time = T): TrashItem =>
  ({ id, path, kind, size: 5, removedAtMs, expiresMs: 99, time });
const kids = (t: ReturnType<typeof trashTree>, k: string): string[] => {
  const n = t.get(k);
  return n?.kind === 'dir' ? [...n.children].sort() : [];
};

test('trashTree: time directories, original paths, directories between', () => {
  const t = trashTree([item('a.1', '/t/a/f'), item('a.2', '/t/a', 'dir', 2), item('a.3', '/t', 'dir', 3), item('a.4', '/x', 'file', 4, '2026-12-01T14:03:08Z')]);
  assert.equal(kids(t, ''), [T, '2026-12-01T14:03:08Z']);
  assert.equal(kids(t, T), ['t']);
  assert.equal(kids(t, `${T}/t`), ['a']);
  assert.equal(kids(t, `${T}/t/a`), ['f']);
  const dir = t.get(`${T}/t/a`);
  assert.is(dir?.kind === 'dir' && dir.item?.id, 'a.2', 'the directory entry itself, with what was below it');
  assert.is(t.get(`${T}/t/a/f`)?.kind, 'entry');
  assert.is(t.get('2026-12-01T14:03:08Z/x')?.kind, 'entry');
});

test('trashTree: one path twice in one second: the older keeps the name', () => {
  const t = trashTree([item('a.9', '/f', 'file', 2), item('a.1', '/f', 'file', 1)]);
  assert.equal(kids(t, T), ['f', 'f~a.9']);
  const f = t.get(`${T}/f`);
  assert.is(f?.kind === 'entry' && f.item.id, 'a.1');
});

test.run();

// How `redcloud trash ls` and `redcloud status` print the trash (oclif-cli/lib/trash-format.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { TrashItem } from '../../../src/common/api.js';
import { trashLine, trashRows } from '../../../oclif-cli/lib/trash-format.js';

const item = (path: string, kind: TrashItem['kind'], size: number, expiresMs: number): TrashItem =>
  ({ path, kind, size, removedAtMs: 0, expiresMs, time: '2026-12-01T14:03:07Z', id: 'a.1' });

test('trash ls rows: time, expires in (never negative), size (- for a directory), path (a directory with /)', () => {
  assert.equal(trashRows([item('/t', 'dir', 0, 90_000), item('/t/f', 'file', 2048, 500)], 1000), [
    ['2026-12-01T14:03:07Z', '1m29s', '-', '/t/'],
    ['2026-12-01T14:03:07Z', '0s', '2.0 KiB', '/t/f'],
  ]);
});

test('status line: off, empty, or entries and bytes with TRASH_TTL', () => {
  assert.is(trashLine({ entries: 0, bytes: 0, ttlMs: 0 }), 'Trash: off (TRASH_TTL=0: removed files are freed at once)');
  assert.is(trashLine({ entries: 0, bytes: 0, ttlMs: 86_400_000 }), 'Trash: empty (kept 1d, TRASH_TTL; redcloud trash ls)');
  assert.is(trashLine({ entries: 1, bytes: 1024, ttlMs: 30_000 }), 'Trash: 1 entry, 1.0 KiB of files (kept 30s, TRASH_TTL; redcloud trash ls)');
});

test.run();

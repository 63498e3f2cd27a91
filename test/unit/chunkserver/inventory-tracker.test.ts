/**
 * The heartbeat inventory bookkeeping: full first, deltas after an ack, full again after a
 * failure, on needInventory and after FULL_INVENTORY_INTERVAL; add-then-remove collapses.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InventoryTracker } from '../../../src/chunkserver/inventory-tracker.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

test('full inventory first, then deltas since the last ack, per controller', () => {
  const t = new InventoryTracker(60_000);
  let inv = [A];
  assert.equal(t.next('c1', 0, () => inv), { inventory: [A] });
  t.ack('c1', false);
  t.record('added', B);
  inv = [A, B];
  assert.equal(t.next('c2', 10, () => inv), { inventory: [A, B] });
  t.ack('c2', false);
  t.record('removed', A);
  t.record('added', C);
  assert.equal(t.next('c1', 20, () => inv), { added: [B, C], removed: [A] });
  t.ack('c1', false);
  assert.equal(t.next('c2', 30, () => inv), { added: [C], removed: [A] });
  t.ack('c2', false);
  assert.equal(t.next('c1', 40, () => inv), { added: [], removed: [] });
  assert.is(t.acked('c1'), 2);
});

test('add then remove before a heartbeat reports a removal only', () => {
  const t = new InventoryTracker(60_000);
  t.next('c1', 0, () => []);
  t.ack('c1', false);
  t.record('added', A);
  t.record('removed', A);
  assert.equal(t.next('c1', 1, () => []), { added: [], removed: [A] });
});

test('a failed heartbeat, needInventory and the full interval each bring a full inventory', () => {
  const t = new InventoryTracker(1000);
  t.next('c1', 0, () => [A]);
  t.ack('c1', false);
  t.record('added', B);
  t.next('c1', 100, () => [A, B]);
  t.fail('c1');
  assert.equal(t.next('c1', 200, () => [A, B]), { inventory: [A, B] });
  t.ack('c1', true);
  assert.equal(t.next('c1', 300, () => [A, B]), { inventory: [A, B] });
  t.ack('c1', false);
  assert.equal(t.next('c1', 1299, () => [A, B]), { added: [], removed: [] });
  t.ack('c1', false);
  assert.equal(t.next('c1', 1300, () => [A, B]), { inventory: [A, B] });
});

test.run();

/**
 * Which iptables rules a run removes: its own (cleanupPartitions) and those of runs that are gone
 * (scripts/cleanup-stale.sh), never another live run's, never untagged rules.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  PARTITION_COMMENT, blackholeRuleSpec, deleteArgsForOwnRules, deleteArgsForStaleRules, parseRunTag, partitionRuleSpecs, runTag, untaggedRules,
} from '../../../src/cluster/partition-rules.js';
import { startTicksFromStat } from '../../../src/cluster/partition-rules.js';

const test = suite('partition rules');

const rule = (src: string, dst: string, comment: string) => `-A INPUT -s ${src}/32 -d ${dst}/32 -i lo -m comment --comment ${comment} -j DROP`;
const listing = [
  '-P INPUT ACCEPT',
  rule('127.0.5.1', '127.0.5.2', 'redcloud-test-100-5000'), // live owner, same start: keep (unless it is us)
  rule('127.0.6.1', '127.0.6.2', 'redcloud-test-200-7000'), // dead pid: stale
  rule('127.0.7.1', '127.0.7.2', 'redcloud-test-300-1111'), // pid reused by a process started later: stale
  rule('127.0.8.1', '127.0.8.2', 'redcloud-test-400-0'), // unknown start, pid alive: keep
  rule('127.0.9.1', '127.0.9.2', PARTITION_COMMENT), // untagged (older code): never removed
  rule('127.0.9.3', '127.0.9.4', 'redcloud-test-x'), // not ours
  '-A INPUT -s 10.1.1.1/32 -j DROP',
].join('\n');
const live: Record<number, number> = { 100: 5000, 300: 2222, 400: 9 };
const startTicksOf = (pid: number): number | null => live[pid] ?? null;

test('tags name the owner and parse back; other comments are not tags', () => {
  assert.is(runTag({ pid: 42, startTicks: 777 }), 'redcloud-test-42-777');
  assert.equal(parseRunTag('redcloud-test-42-777'), { pid: 42, startTicks: 777 });
  assert.is(parseRunTag(PARTITION_COMMENT), null);
  assert.is(parseRunTag('redcloud-test-0-5'), null);
  assert.is(parseRunTag('redcloud-test-42-777 extra'), null);
  assert.is(parseRunTag('xredcloud-test-42-777'), null);
});

test('rules carry the tag they are given; only loopback addresses', () => {
  const tag = runTag({ pid: 9, startTicks: 1 });
  assert.equal(partitionRuleSpecs('127.0.5.1', '127.0.5.2', tag), [
    ['INPUT', '-i', 'lo', '-s', '127.0.5.1', '-d', '127.0.5.2', '-m', 'comment', '--comment', tag, '-j', 'DROP'],
    ['INPUT', '-i', 'lo', '-s', '127.0.5.2', '-d', '127.0.5.1', '-m', 'comment', '--comment', tag, '-j', 'DROP'],
  ]);
  assert.equal(blackholeRuleSpec('127.0.5.3', tag), ['INPUT', '-i', 'lo', '-d', '127.0.5.3', '-m', 'comment', '--comment', tag, '-j', 'DROP']);
  assert.throws(() => blackholeRuleSpec('10.0.0.1', tag), /127\.0\.0\.0\/8/);
  assert.throws(() => partitionRuleSpecs('127.0.0.300', '127.0.0.1', tag), /127\.0\.0\.0\/8/);
});

test('a run removes only its own rules', () => {
  assert.equal(deleteArgsForOwnRules(listing, { pid: 100, startTicks: 5000 }), [
    ['-D', 'INPUT', '-s', '127.0.5.1/32', '-d', '127.0.5.2/32', '-i', 'lo', '-m', 'comment', '--comment', 'redcloud-test-100-5000', '-j', 'DROP'],
  ]);
  assert.equal(deleteArgsForOwnRules(listing, { pid: 100, startTicks: 4999 }), [], 'same pid, other process');
  assert.equal(deleteArgsForOwnRules(listing, { pid: 555, startTicks: 1 }), []);
});

test('stale cleanup removes dead and reused-pid owners, keeps live runs and untagged rules', () => {
  const removed = deleteArgsForStaleRules(listing, startTicksOf).map((args) => args[args.indexOf('--comment') + 1]);
  assert.equal(removed, ['redcloud-test-200-7000', 'redcloud-test-300-1111']);
  assert.equal(deleteArgsForStaleRules(listing, () => 1), [
    ['-D', 'INPUT', '-s', '127.0.5.1/32', '-d', '127.0.5.2/32', '-i', 'lo', '-m', 'comment', '--comment', 'redcloud-test-100-5000', '-j', 'DROP'],
    ['-D', 'INPUT', '-s', '127.0.6.1/32', '-d', '127.0.6.2/32', '-i', 'lo', '-m', 'comment', '--comment', 'redcloud-test-200-7000', '-j', 'DROP'],
    ['-D', 'INPUT', '-s', '127.0.7.1/32', '-d', '127.0.7.2/32', '-i', 'lo', '-m', 'comment', '--comment', 'redcloud-test-300-1111', '-j', 'DROP'],
  ], 'every live pid has another start time: all tagged rules with a known start are stale');
  assert.equal(untaggedRules(listing), [rule('127.0.9.1', '127.0.9.2', PARTITION_COMMENT)]);
});

test('a quoted comment is read unquoted', () => {
  const quoted = '-A INPUT -d 127.0.5.9/32 -i lo -m comment --comment "redcloud-test-200-7000" -j DROP';
  assert.equal(deleteArgsForStaleRules(quoted, () => null), [
    ['-D', 'INPUT', '-d', '127.0.5.9/32', '-i', 'lo', '-m', 'comment', '--comment', 'redcloud-test-200-7000', '-j', 'DROP'],
  ]);
});

test('start time is field 22 of /proc/<pid>/stat, even with spaces and parens in the name', () => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3)); // field 3 onward
  fields[19] = '123456'; // field 22
  assert.is(startTicksFromStat(`4242 (node (x) y) ${fields.join(' ')}`), 123456);
  assert.is(startTicksFromStat('garbage'), null);
});

test.run();

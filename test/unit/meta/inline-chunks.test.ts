/** The pure rules of inline chunks (src/meta/inline.ts): limits from INLINE_MAX, the byte count of a map, and the check of one chunk's bytes. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chunkIdOf } from '../../../src/common/chunk-format.js';
import { INLINE_CHUNKS_MAX_BYTES, inlineChunkBytes, inlineChunkLimits, inlineChunkProblem } from '../../../src/meta/inline.js';

test('inlineChunkLimits: each chunk and the record at most INLINE_MAX (× the factor), never past the hard bound; 0 disables', () => {
  assert.equal(inlineChunkLimits(64 * 1024), { chunkMaxBytes: 64 * 1024, recordMaxBytes: 64 * 1024 });
  assert.equal(inlineChunkLimits(0), { chunkMaxBytes: 0, recordMaxBytes: 0 });
  assert.equal(inlineChunkLimits(8 * 1024 * 1024), { chunkMaxBytes: INLINE_CHUNKS_MAX_BYTES, recordMaxBytes: INLINE_CHUNKS_MAX_BYTES });
});

test('inlineChunkBytes: decoded bytes of every chunk of the map', () => {
  assert.is(inlineChunkBytes(undefined), 0);
  assert.is(inlineChunkBytes({ a: Buffer.alloc(5).toString('base64'), b: Buffer.alloc(4096).toString('base64') }), 4101);
});

test('inlineChunkProblem: base64 of exactly the size that hashes to the id (any format); everything else named', () => {
  const data = Buffer.from('some chunk bytes');
  for (const f of ['b3-64k', 'sha256', 's256-64k'] as const) assert.is(inlineChunkProblem(chunkIdOf(f, data), data.toString('base64'), data.length, 100), undefined, f);
  const id = chunkIdOf('b3-64k', data);
  assert.match(inlineChunkProblem(id, Buffer.from('some chunk byteZ').toString('base64'), data.length, 100)!, /hash to the chunk id/);
  assert.match(inlineChunkProblem(id, data.toString('base64'), data.length + 1, 100)!, /bytes/);
  assert.match(inlineChunkProblem(id, data.toString('base64'), data.length, 10)!, /at most 10/);
  assert.match(inlineChunkProblem(id, 'a b', 3, 100)!, /base64/);
  assert.match(inlineChunkProblem(id, 42, 3, 100)!, /base64/);
  assert.match(inlineChunkProblem(chunkIdOf('b3-64k', Buffer.alloc(0)), '', 0, 100)!, /bytes/);
});

test.run();

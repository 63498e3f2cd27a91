/**
 * Prometheus metrics of a chunkserver: bytes in/out, chunks stored, put/get counters by result,
 * replication and scrub counters. Registered on the server's registry (see http-server.ts).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ChunkStore } from './store.js';

export interface ChunkserverMetrics {
  bytesIn: Counter<string>;
  bytesOut: Counter<string>;
  puts: Counter<'result'>;
  gets: Counter<'result'>;
  deletes: Counter<string>;
  replications: Counter<'result'>;
  scrubbedChunks: Counter<'result'>;
  scrubbedBytes: Counter<string>;
  scrubPasses: Counter<string>;
}

export function createChunkserverMetrics(registry: Registry, store: ChunkStore): ChunkserverMetrics {
  const registers = [registry];
  new Gauge({
    name: 'redcloud_chunkserver_chunks_stored', help: 'Chunks stored on this chunkserver', registers,
    collect() {
      this.set(store.usage().chunkCount);
    },
  });
  new Gauge({
    name: 'redcloud_chunkserver_used_bytes', help: 'Bytes of stored chunks', registers,
    collect() {
      this.set(store.usage().usedBytes);
    },
  });
  new Gauge({
    name: 'redcloud_chunkserver_free_bytes', help: 'Bytes new chunks may still take', registers,
    collect() {
      this.set(store.usage().freeBytes);
    },
  });
  return {
    bytesIn: new Counter({ name: 'redcloud_chunkserver_bytes_in_total', help: 'Chunk bytes received (PUT and replication)', registers }),
    bytesOut: new Counter({ name: 'redcloud_chunkserver_bytes_out_total', help: 'Chunk bytes served (GET)', registers }),
    puts: new Counter({ name: 'redcloud_chunkserver_puts_total', help: 'Chunk PUTs by result', labelNames: ['result'], registers }),
    gets: new Counter({ name: 'redcloud_chunkserver_gets_total', help: 'Chunk GETs by result', labelNames: ['result'], registers }),
    deletes: new Counter({ name: 'redcloud_chunkserver_deletes_total', help: 'Chunks deleted on request', registers }),
    replications: new Counter({ name: 'redcloud_chunkserver_replications_total', help: 'Chunk copies pulled from other chunkservers, by result', labelNames: ['result'], registers }),
    scrubbedChunks: new Counter({ name: 'redcloud_chunkserver_scrub_chunks_total', help: 'Chunks re-verified by the scrubber, by result', labelNames: ['result'], registers }),
    scrubbedBytes: new Counter({ name: 'redcloud_chunkserver_scrub_bytes_total', help: 'Bytes re-read by the scrubber', registers }),
    scrubPasses: new Counter({ name: 'redcloud_chunkserver_scrub_passes_total', help: 'Completed scrub passes', registers }),
  };
}

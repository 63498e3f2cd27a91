// The reference (in-memory) metadata store against the shared contract.
import { openMemoryStore } from '../../../src/controller/memory-store.js';
import { storeSuite } from './store-suite.js';

storeSuite('memory', (o) => openMemoryStore(o));

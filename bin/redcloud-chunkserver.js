#!/usr/bin/env node
import '../dist/src/chunkserver/main.js';

#!/usr/bin/env node
// The foreground FUSE mount process: redcloud-mount DIR [--cache-size 256MiB] [--read-ahead 4] [--cache-dir DIR] [--controllers URL,…]
import { main } from '../dist/fuse/main.js';

process.exitCode = await main(process.argv.slice(2));
process.exit();

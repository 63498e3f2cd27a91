#!/usr/bin/env node
// Prints the README's configuration tables (markdown) from the schemas in src/common/config.ts
// (compiled to dist/src/common/config.js): one table per process, variable, default, description.
import { controllerSchema, chunkserverSchema, clientSchema } from '../dist/src/common/config.js';

const esc = (s) => String(s).replace(/\|/g, '\\|');

function table(title, schema) {
  const rows = Object.values(schema).map((spec) =>
    `| \`${spec.env}\` | ${spec.defaultRaw === '' ? '*(empty)*' : `\`${esc(spec.defaultRaw)}\``} | ${esc(spec.doc)} |`);
  return [`#### ${title}`, '', '| Variable | Default | Meaning |', '|---|---|---|', ...rows, ''].join('\n');
}

process.stdout.write([
  table('Controller (`bin/redcloud-controller.js`)', controllerSchema),
  table('Chunkserver (`bin/redcloud-chunkserver.js`)', chunkserverSchema),
  table('CLI and mount (`bin/redcloud.js`)', clientSchema),
].join('\n'));

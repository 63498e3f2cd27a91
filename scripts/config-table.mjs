#!/usr/bin/env node
// Prints the README's configuration tables (markdown) from the schemas in src/common/config.ts
// (compiled to dist/src/common/config.js): one table per process, variable, default, description.
import { readFileSync, writeFileSync } from 'node:fs';
import { controllerSchema, chunkserverSchema, clientSchema } from '../dist/src/common/config.js';

const esc = (s) => String(s).replace(/\|/g, '\\|');

function table(title, schema) {
  const rows = Object.values(schema).map((spec) =>
    `| \`${spec.env}\` | ${spec.defaultRaw === '' ? '*(empty)*' : `\`${esc(spec.defaultRaw)}\``} | ${esc(spec.doc)} |`);
  return [`#### ${title}`, '', '| Variable | Default | Meaning |', '|---|---|---|', ...rows, ''].join('\n');
}

const tables = [
  table('Controller (`bin/redcloud-controller.js`)', controllerSchema),
  table('Chunkserver (`bin/redcloud-chunkserver.js`)', chunkserverSchema),
  table('CLI and mount (`bin/redcloud.js`)', clientSchema),
].join('\n');

// `--update FILE` replaces what lies between the config-table markers of FILE.
const i = process.argv.indexOf('--update');
if (i >= 0) {
  const file = process.argv[i + 1] ?? 'README.md';
  const text = readFileSync(file, 'utf8');
  const re = /(<!-- config-table:start -->\n)[\s\S]*?(<!-- config-table:end -->)/;
  if (!re.test(text)) throw new Error(`${file} has no config-table markers`);
  writeFileSync(file, text.replace(re, (_m, a, b) => `${a}${tables.trimEnd()}\n${b}`));
} else {
  process.stdout.write(tables);
}

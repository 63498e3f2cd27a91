#!/usr/bin/env node
// Prints the README's generated tables (markdown), after a build: the configuration tables from
// the schemas in src/common/config.ts (dist/src/common/config.js: one table per process, variable,
// default, description) and the command reference from the oclif commands' static summaries
// (dist/oclif-cli/commands/**). `--update FILE` rewrites both in place between their markers
// (<!-- config-table:start/end --> and <!-- command-table:start/end -->).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { controllerSchema, chunkserverSchema, clientSchema } from '../dist/src/common/config.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const esc = (s) => String(s).replace(/\|/g, '\\|');

function table(title, schema) {
  const rows = Object.values(schema).map((spec) =>
    `| \`${spec.env}\` | ${spec.defaultRaw === '' ? '*(empty)*' : `\`${esc(spec.defaultRaw)}\``} | ${esc(spec.doc)} |`);
  return [`#### ${title}`, '', '| Variable | Default | Meaning |', '|---|---|---|', ...rows, ''].join('\n');
}

const configTables = [
  table('Controller (`bin/redcloud-controller.js`)', controllerSchema),
  table('Chunkserver (`bin/redcloud-chunkserver.js`)', chunkserverSchema),
  table('CLI and mount (`bin/redcloud.js`)', clientSchema),
].join('\n');

/** Every compiled command file below dist/oclif-cli/commands, as [command id, path]. */
function commandFiles(dir, base = dir) {
  const out = [];
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const abs = join(dir, name.name);
    if (name.isDirectory()) out.push(...commandFiles(abs, base));
    else if (name.name.endsWith('.js')) out.push([relative(base, abs).replace(/\.js$/, '').split('/').join(' ').replace(/ index$/, ''), abs]);
  }
  return out;
}

/** `redcloud <id> ARGS [--flags]` with a one-line summary, sorted by command. */
async function commandTable() {
  const rows = [];
  for (const [id, file] of commandFiles(join(root, 'dist/oclif-cli/commands')).sort((a, b) => a[0].localeCompare(b[0]))) {
    const cmd = (await import(pathToFileURL(file).href)).default;
    if (!cmd || cmd.hidden) continue;
    const args = Object.entries(cmd.args ?? {}).map(([name, a]) => (a.required ? name.toUpperCase() : `[${name.toUpperCase()}]`));
    if (cmd.strict === false) args.push('…');
    const usage = ['redcloud', id, ...args].join(' ');
    const aliases = (cmd.aliases ?? []).length > 0 ? ` (alias: ${cmd.aliases.join(', ')})` : '';
    rows.push(`| \`${esc(usage)}\` | ${esc(cmd.summary ?? cmd.description?.split('\n')[0] ?? '')}${aliases} |`);
  }
  return ['| command | what it does |', '|---|---|', ...rows, ''].join('\n');
}

function replaceBetween(text, marker, body, file) {
  const re = new RegExp(`(<!-- ${marker}:start -->\\n)[\\s\\S]*?(<!-- ${marker}:end -->)`);
  if (!re.test(text)) throw new Error(`${file} has no ${marker} markers`);
  return text.replace(re, (_m, a, b) => `${a}${body.trimEnd()}\n${b}`);
}

const commands = await commandTable();
const i = process.argv.indexOf('--update');
if (i >= 0) {
  const file = process.argv[i + 1] ?? 'README.md';
  let text = readFileSync(file, 'utf8');
  text = replaceBetween(text, 'config-table', configTables, file);
  text = replaceBetween(text, 'command-table', commands, file);
  writeFileSync(file, text);
} else {
  process.stdout.write(`${configTables}\n${commands}`);
}

/**
 * Tab completion of `redcloud shell`, pure over a lister: the first word(s) complete to verbs
 * (`ta` → `tag`, `tags`; `tag a` → `tag add`), `help` takes a verb, and arguments complete to
 * remote paths (from the controller's listing) or local files, depending on the verb and the
 * argument's position. Names with spaces or quotes are completed with backslash escapes, which
 * the shell's tokenizer reads back.
 */
import { tokenize } from './tokenize.js';

export type PathKind = 'remote' | 'local';

export interface Listed {
  name: string;
  dir: boolean;
}

/** Lists a directory (remote: '/'-rooted; local: as typed, '' for the cwd). Must bound its own time. */
export type Lister = (kind: PathKind, dir: string) => Promise<Listed[]>;

/** Which positional arguments (0-based) are remote or local paths; '*' = every one. */
const ARG_KINDS: Record<string, PathKind | (PathKind | undefined)[]> = {
  ls: 'remote', rm: 'remote', mv: 'remote', mkdir: 'remote',
  download: ['remote', 'local'],
  'tag add': ['remote'], 'tag rm': ['remote'],
  upload: ['local'], add: 'local', mount: 'local', umount: 'local',
};

/** Shell words that are not oclif commands. */
export const SHELL_WORDS = ['help', 'exit', 'quit'];

/** The word being typed at the end of `line`: its raw text (as typed) and its value (escapes read). */
export function lastWord(line: string): { raw: string; value: string; before: string[] } {
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\') i++; // an escaped character belongs to the word
    else if (/\s/.test(line[i]!)) start = i + 1;
  }
  const raw = line.slice(start);
  const before = tokenize(line.slice(0, start));
  return { raw, value: raw.replace(/\\(.)/g, '$1'), before };
}

export function escapeWord(s: string): string {
  return s.replace(/([\s'"\\])/g, '\\$1');
}

/** The verb a line's first words name (`tag add` before `tag`), and how many words it took. */
function verbOf(words: string[], verbs: string[]): { verb: string; n: number } | undefined {
  for (let n = Math.min(words.length, 2); n >= 1; n--) {
    const id = words.slice(0, n).join(' ');
    if (verbs.includes(id)) return { verb: id, n };
  }
  return undefined;
}

function completeVerb(typedWords: string[], prefix: string, verbs: string[]): string[] {
  const all = typedWords.length === 0 ? [...verbs, ...SHELL_WORDS] : verbs;
  const head = typedWords.join(' ');
  const out = new Set<string>();
  for (const v of all) {
    const parts = v.split(' ');
    if (parts.length <= typedWords.length) continue;
    if (parts.slice(0, typedWords.length).join(' ') !== head) continue;
    const word = parts[typedWords.length]!;
    if (word.startsWith(prefix)) out.add(word);
  }
  return [...out].sort();
}

function kindOf(verb: string, argIndex: number): PathKind | undefined {
  const k = ARG_KINDS[verb];
  if (k === undefined) return undefined;
  return typeof k === 'string' ? k : k[argIndex];
}

async function completePath(kind: PathKind, value: string, list: Lister): Promise<string[]> {
  const slash = value.lastIndexOf('/');
  const dirPart = slash < 0 ? '' : value.slice(0, slash + 1);
  const prefix = value.slice(slash + 1);
  const dir = kind === 'remote' ? (dirPart === '' ? '/' : dirPart.startsWith('/') ? dirPart : `/${dirPart}`) : dirPart;
  let entries: Listed[];
  try {
    entries = await list(kind, dir);
  } catch {
    return []; // no controller, no such directory, too slow: nothing to offer
  }
  return entries
    .filter((e) => e.name.startsWith(prefix) && (prefix.startsWith('.') || !e.name.startsWith('.')))
    .map((e) => escapeWord(`${dirPart}${e.name}${e.dir ? '/' : ''}`))
    .sort();
}

/** readline's completer answer: the candidates (whole words) and the typed text they replace. */
export async function complete(line: string, verbs: string[], list: Lister): Promise<[string[], string]> {
  const { raw, value, before } = lastWord(line);
  if (before.length === 0) return [completeVerb([], value, verbs), raw];
  if (before[0] === 'help') return [completeVerb(before.slice(1), value, verbs), raw];
  const found = verbOf(before, verbs);
  if (!found) return [completeVerb(before, value, verbs), raw];
  if (found.n === 1 && before.length === 1 && verbs.some((v) => v.startsWith(`${found.verb} `))) {
    // `tag ` could still become `tag add`
    const sub = completeVerb(before, value, verbs);
    if (sub.length > 0) return [sub, raw];
  }
  if (value.startsWith('-')) return [[], raw];
  const args = before.slice(found.n).filter((w) => !w.startsWith('-'));
  const kind = kindOf(found.verb, args.length);
  if (!kind) return [[], raw];
  return [await completePath(kind, value, list), raw];
}

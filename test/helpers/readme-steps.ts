/**
 * The shell steps of a README section, as a reader sees them: each ```sh block under a `## `
 * heading, cut into commands (a `for … do` … `done` spanning lines is one command), each with its
 * trailing `# comment` (what the README says it shows; indented `#   …` lines below a command
 * continue its comment, other comment lines are sub-headings and are left out). Pure.
 */

export interface ReadmeStep {
  /** the command as printed, comments removed, lines of one command joined with "\n" */
  cmd: string;
  /** everything the README says about it (its comments joined with spaces) */
  says: string;
  /** 1-based line in the README where the command starts */
  line: number;
}

/** The text under `## heading` up to the next `## ` heading; throws when there is none. */
export function readmeSection(readme: string, heading: string): { text: string; firstLine: number } {
  const lines = readme.split('\n');
  const start = lines.findIndex((l) => l.trim() === `## ${heading}`);
  if (start < 0) throw new Error(`README has no "## ${heading}" section`);
  let end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  if (end < 0) end = lines.length;
  return { text: lines.slice(start + 1, end).join('\n'), firstLine: start + 2 };
}

/** Splits `cmd   # comment` at the first ` #` outside quotes. */
export function splitComment(line: string): { code: string; comment: string } {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return { code: line.slice(0, i).trimEnd(), comment: line.slice(i + 1).trim() };
  }
  return { code: line.trimEnd(), comment: '' };
}

const opens = (code: string): number => (code.match(/(^|[\s;])do(\s|$)/g) ?? []).length;
const closes = (code: string): number => (code.match(/(^|[\s;])done(\s|;|$)/g) ?? []).length;

/** The commands of every ```sh block of `text` (line numbers from `firstLine`). */
export function shellSteps(text: string, firstLine = 1): ReadmeStep[] {
  const steps: ReadmeStep[] = [];
  const lines = text.split('\n');
  let inBlock = false;
  let open: { code: string[]; says: string[]; line: number; depth: number } | undefined;
  lines.forEach((raw, i) => {
    if (/^```sh\s*$/.test(raw)) {
      inBlock = true;
      return;
    }
    if (!inBlock) return;
    if (/^```\s*$/.test(raw)) {
      inBlock = false;
      return;
    }
    const { code, comment } = splitComment(raw);
    if (code.trim() === '') {
      // an indented comment continues the last command's; a plain one is a sub-heading
      if (!comment || !/^#\s{2,}/.test(raw.trimStart())) return;
      const last = steps[steps.length - 1];
      if (open) open.says.push(comment);
      else if (last) last.says = `${last.says} ${comment}`.trim();
      return;
    }
    if (!open) open = { code: [], says: [], line: firstLine + i, depth: 0 };
    open.code.push(code);
    if (comment) open.says.push(comment);
    open.depth += opens(code) - closes(code);
    if (open.depth <= 0) {
      steps.push({ cmd: open.code.join('\n'), says: open.says.join(' '), line: open.line });
      open = undefined;
    }
  });
  if (open) steps.push({ cmd: open.code.join('\n'), says: open.says.join(' '), line: open.line });
  return steps;
}

// The README walkthrough's parser (test/helpers/readme-steps.ts): a section's ```sh blocks become
// commands with their comments; a `for … do … done` over several lines is one command; indented
// comment lines continue the command above, plain ones (sub-headings) are dropped; a `#` inside
// quotes is not a comment; non-sh blocks and text are ignored; a missing section throws.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readmeSection, shellSteps, splitComment } from '../../helpers/readme-steps.js';

const README = [
  '# Title', '', '## One', 'text', '```sh', 'redcloud ls        # lists it', '',
  '# Sub-heading: dropped', "find . -printf '%f #x\\n' | sort   # each once",
  'for n in 1 2; do', '  echo $n   # inner', 'done', '#   (continued comment)',
  'for n in 3; do echo $n; done   # one line', '```', '```', 'not sh', '```', '## Two', '```sh', 'other', '```',
].join('\n');

test('commands, comments and line numbers of one section', () => {
  const { text, firstLine } = readmeSection(README, 'One');
  assert.is(firstLine, 4);
  assert.equal(shellSteps(text, firstLine), [
    { cmd: 'redcloud ls', says: 'lists it', line: 6 },
    { cmd: "find . -printf '%f #x\\n' | sort", says: 'each once', line: 9 },
    { cmd: 'for n in 1 2; do\n  echo $n\ndone', says: 'inner (continued comment)', line: 10 },
    { cmd: 'for n in 3; do echo $n; done', says: 'one line', line: 14 },
  ]);
  assert.equal(shellSteps(readmeSection(README, 'Two').text).map((s) => s.cmd), ['other']);
});

test('a # in quotes or inside a word is not a comment; a missing section throws', () => {
  assert.equal(splitComment('echo "a # b"  # c'), { code: 'echo "a # b"', comment: 'c' });
  assert.equal(splitComment('echo a#b'), { code: 'echo a#b', comment: '' });
  assert.throws(() => readmeSection(README, 'Three'), /no "## Three" section/);
});

test.run();

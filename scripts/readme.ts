/**
 * Writes the README's configuration table from the options table (electron/cli/options.ts):
 * `npm run gen:readme`. test/cli/options.test.ts fails when the README's table is not this.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readmeTable } from '../electron/cli/options.ts';

export const README = fileURLToPath(new URL('../README.md', import.meta.url));
const START = /<!-- options:start[^>]*-->\n/;
const END = '<!-- options:end -->';

/** The README's text with its options table replaced by the generated one. */
export function withOptionsTable(readme: string): string {
  const start = START.exec(readme);
  const end = readme.indexOf(END);
  if (!start || end < start.index) throw new Error('README.md has no <!-- options:start --> ... <!-- options:end --> block');
  const from = start.index + start[0].length;
  return `${readme.slice(0, from)}${readmeTable()}\n${readme.slice(end)}`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(README, withOptionsTable(readFileSync(README, 'utf8')));
  process.stdout.write('wrote the options table in README.md\n');
}

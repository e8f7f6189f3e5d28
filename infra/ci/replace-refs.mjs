#!/usr/bin/env node
// Rewrites the references infra/ci/check-refs.mjs refuses (see REF_PATTERNS) into links
// inside the repository: a PROTOCOL section number becomes docs/PROTOCOL.md#section-N (or the
// named anchor, e.g. #errors), a decision number of DESIGN.md docs/DESIGN.md#decision-N, a link into
// the shared planning folder the same file in docs/, and an issue number is dropped where it
// is a parenthetical or replaced by the name of what that issue built.
// In Markdown the reference becomes a relative link; in code and comments the repo path.
// Afterwards run `npx prettier --write .` (Markdown tables get wider).
// Not a CI step: run once, read the diff, then empty NOT_YET_REPLACED in check-refs.mjs.
//
//   node infra/ci/replace-refs.mjs           # prints every line it would change
//   node infra/ci/replace-refs.mjs --write   # changes the files
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REF_PATTERNS, listRefFiles } from './ref-patterns.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const write = process.argv.includes('--write');
const SECTION = '\u00a7';
const DASH = '[–-]';

/** What each issue built, for the places where the sentence needs a name instead of a number. */
const ISSUE_FEATURES = {
  4: 'presence, typing, notifications and offline delivery',
  5: 'the message lifecycle and files',
  6: 'operations (metrics, drain, outages)',
  9: 'the abuse limits',
  14: 'the send path',
  15: 'Redis Cluster and the sharded adapter',
  17: 'sessions, receipts, mute and search',
  18: 'mentions, system messages and HTTP for bots',
};

/** Named subsections of PROTOCOL.md that references use (`§2 "Notifications"`). */
const PROTOCOL_NAMED = { errors: 'errors', notifications: 'notifications', mentions: 'mentions' };

function range(from, to) {
  const out = [];
  for (let n = Number(from); n <= Number(to ?? from); n += 1) out.push(n);
  return out;
}

function rewriter(file) {
  const markdown = file.endsWith('.md');
  const docPath = (name) =>
    markdown ? relative(dirname(join(root, file)), join(root, 'docs', name)) : `docs/${name}`;
  const link = (label, target) => (markdown ? `[${label}](${target})` : target);

  const protocol = new RegExp(
    `PROTOCOL(?:\\.md)? ?${SECTION} ?(\\d)(?:${DASH}${SECTION}?(\\d))?(?: "([A-Za-z]+)")?`,
    'g',
  );
  const design = new RegExp(`DESIGN(?:\\.md)? decisions? (\\d+)(?:${DASH}(\\d+))?`, 'g');
  const shared = /(?:\.\.\/)+shared\/(PROTOCOL|DESIGN)\.md/g;

  return (line) =>
    line
      .replace(shared, (_m, name) => docPath(`${name}.md`))
      .replace(/\b[Ss]ince [Ii]ssue \d+ \(([^)]*)\): /g, '$1: ')
      .replace(/\b[Ss]ince [Ii]ssue \d+ /g, '')
      .replace(/\b[Ii]ssue \d+: (\w)/g, (_m, first) => first.toUpperCase())
      .replace(/ ?\([Ii]ssue \d+\)/g, '')
      .replace(/\(([Ii]ssue \d+), /g, '(')
      .replace(/, [Ii]ssue \d+\)/g, ')')
      .replace(/\b([Ii])ssue (\d+)(?:'s)?\b/g, (m, i, n) => {
        const feature = ISSUE_FEATURES[n];
        if (!feature) return m;
        return i === 'I' ? feature.charAt(0).toUpperCase() + feature.slice(1) : feature;
      })
      .replace(protocol, (_m, from, to, named) => {
        const anchors = named
          ? [PROTOCOL_NAMED[named.toLowerCase()] ?? `section-${from}`]
          : range(from, to).map((n) => `section-${n}`);
        const label = `PROTOCOL.md, section ${to ? `${from}–${to}` : from}`;
        const target = `${docPath('PROTOCOL.md')}#${anchors[0]}`;
        return markdown
          ? link(label, target)
          : [target, ...anchors.slice(1).map((a) => `#${a}`)].join(', ');
      })
      .replace(design, (_m, from, to) => {
        const anchors = range(from, to).map((n) => `decision-${n}`);
        const target = `${docPath('DESIGN.md')}#${anchors[0]}`;
        return markdown
          ? link(`DESIGN.md, decision ${to ? `${from}–${to}` : from}`, target)
          : [target, ...anchors.slice(1).map((a) => `#${a}`)].join(', ');
      });
}

let changedLines = 0;
const leftovers = [];
for (const file of await listRefFiles(root)) {
  const text = await readFile(join(root, file), 'utf8');
  const rewrite = rewriter(file);
  const lines = text.split('\n').map((line, index) => {
    if (!REF_PATTERNS.some((p) => p.regex.test(line))) return line;
    const next = rewrite(line);
    if (next !== line) {
      changedLines += 1;
      if (!write) console.log(`${file}:${index + 1}\n  - ${line.trim()}\n  + ${next.trim()}`);
    }
    if (REF_PATTERNS.some((p) => p.regex.test(next))) leftovers.push(`${file}:${index + 1}`);
    return next;
  });
  if (write && lines.join('\n') !== text) await writeFile(join(root, file), lines.join('\n'));
}

console.log(`${changedLines} lines ${write ? 'rewritten' : 'to rewrite (dry run)'}`);
if (leftovers.length > 0) {
  console.log(`still matching check-refs, to fix by hand:\n  ${leftovers.join('\n  ')}`);
}

#!/usr/bin/env node
// Fails when code, comments or docs point outside the repository (the shared planning folder)
// or to numbered DESIGN/PROTOCOL sections and issues instead of linking into docs/. A CI step
// (infra/ci/checks.mjs); `infra/ci/replace-refs.mjs` rewrites what it finds.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REF_PATTERNS, listRefFiles } from './ref-patterns.mjs';

/**
 * Paths (prefixes) not checked yet, because their references are replaced in one mechanical
 * pass after the open branches are merged. Empty this list right after running
 * `node infra/ci/replace-refs.mjs --write`; from then on the check covers everything.
 */
const NOT_YET_REPLACED = [];

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pending = (file) => NOT_YET_REPLACED.some((prefix) => file.startsWith(prefix));

const findings = [];
let deferred = 0;
for (const file of await listRefFiles(root)) {
  const lines = (await readFile(join(root, file), 'utf8')).split('\n');
  lines.forEach((line, index) => {
    const hit = REF_PATTERNS.find((p) => p.regex.test(line));
    if (!hit) return;
    if (pending(file)) deferred += 1;
    else findings.push(`${file}:${index + 1}: ${hit.name}: ${line.trim().slice(0, 120)}`);
  });
}

if (deferred > 0) {
  console.log(`check-refs: ${deferred} references in paths not checked yet (NOT_YET_REPLACED)`);
}
if (findings.length > 0) {
  console.error(findings.join('\n'));
  console.error(
    `check-refs: ${findings.length} references outside the repository or to numbered sections; ` +
      'link into docs/ instead (node infra/ci/replace-refs.mjs --write does it mechanically).',
  );
  process.exit(1);
}
console.log('check-refs: ok');

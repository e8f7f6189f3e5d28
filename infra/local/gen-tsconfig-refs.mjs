// Regenerates the project references of every workspace tsconfig.json from its
// package.json dependencies, so `tsc -b` builds packages in dependency order.
// Builds resolve workspace imports to dist/*.d.ts (customConditions: []), while
// tests and tsx use the "@chat/source" condition and need no build at all.
import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const dirs = ['packages', 'services']
  .flatMap((d) => readdirSync(join(root, d)).map((n) => join(root, d, n)))
  .concat([join(root, 'infra', 'bench'), join(root, 'infra', 'local')])
  .filter((d) => existsSync(join(d, 'package.json')));
const byName = new Map(
  dirs.map((d) => [JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')).name, d]),
);

for (const dir of dirs) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const deps = Object.keys({ ...pkg.dependencies });
  const refs = deps
    .filter((d) => byName.has(d))
    .map((d) => ({ path: relative(dir, byName.get(d)) }));
  const file = join(dir, 'tsconfig.json');
  if (!existsSync(file)) continue;
  const ts = JSON.parse(readFileSync(file, 'utf8'));
  ts.compilerOptions = { ...ts.compilerOptions, customConditions: [] };
  ts.exclude = ['src/**/*.test.ts', 'src/**/*.int.test.ts'];
  ts.references = refs;
  writeFileSync(file, JSON.stringify(ts, null, 2) + '\n');
}
const solution = { files: [], references: dirs.map((d) => ({ path: relative(root, d) })) };
writeFileSync(join(root, 'tsconfig.json'), JSON.stringify(solution, null, 2) + '\n');

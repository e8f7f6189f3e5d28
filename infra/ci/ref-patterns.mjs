// References that point outside the repository or to the history of its making: the shared
// planning folder, DESIGN/PROTOCOL section numbers and issue numbers. A clone must explain
// itself, so these become links into docs/ (infra/ci/replace-refs.mjs) and stay out
// (infra/ci/check-refs.mjs). Built from parts so this file does not match itself.
const SECTION = '\u00a7';

export const REF_PATTERNS = [
  { name: 'shared folder', regex: new RegExp(String.raw`\.\./` + 'shared\\b') },
  { name: 'design decision', regex: new RegExp('DESIGN(\\.md)? decisions? [0-9]') },
  { name: 'protocol section', regex: new RegExp(`PROTOCOL(\\.md)? ?${SECTION}`) },
  { name: 'issue number', regex: new RegExp('\\b[Ii]ssues? [0-9]') },
];

/** Where references are looked for (the roots of the "done when" grep). */
export const REF_ROOTS = ['services', 'packages', 'infra', 'docs', 'README.md'];

/** Files that name the patterns on purpose. */
export const REF_EXEMPT_FILES = ['infra/ci/ref-patterns.mjs', 'infra/ci/replace-refs.mjs'];

const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.run']);
const TEXT_FILE = /\.(ts|tsx|mjs|js|json|md|css|html|yaml|yml|conf|sh)$|Dockerfile/;

/** Every text file under REF_ROOTS, as repo-relative paths. */
export async function listRefFiles(root) {
  const { readdir, stat } = await import('node:fs/promises');
  const { join, relative } = await import('node:path');
  const files = [];
  const walk = async (path) => {
    const info = await stat(path).catch(() => undefined);
    if (!info) return;
    if (info.isDirectory()) {
      for (const entry of await readdir(path)) {
        if (!SKIPPED_DIRS.has(entry)) await walk(join(path, entry));
      }
    } else if (TEXT_FILE.test(path)) {
      files.push(relative(root, path));
    }
  };
  for (const top of REF_ROOTS) await walk(join(root, top));
  return files.filter((f) => !REF_EXEMPT_FILES.includes(f)).sort();
}

import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the web UI's build is when WEB_DIST_DIR is not set: packages/web/dist of this
 * checkout (src/ and dist/ of the gateway both sit three levels below the repo root).
 * Undefined when there is no build, so the node runs without a UI.
 */
export function defaultWebDistDir(): string | undefined {
  const candidate = resolve(
    dirname(fileURLToPath(import.meta.url)),
    '..',
    '..',
    '..',
    'packages',
    'web',
    'dist',
  );
  return existsSync(candidate) ? candidate : undefined;
}

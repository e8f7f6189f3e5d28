import { fileTypeFromFile } from 'file-type';
import { open } from 'node:fs/promises';

export interface DetectedType {
  mime: string;
  ext: string;
}

const TEXT_PROBE_BYTES = 8192;

/**
 * The type from the file's bytes (magic numbers via file-type; the declared type and the
 * name are ignored). Plain text has no magic number: when `allowText`, undetected content
 * counts as text/plain if its start is valid UTF-8 without NUL bytes and does not open
 * with `<` (markup is refused rather than served as text).
 */
export async function sniffFile(
  path: string,
  allowText: boolean,
): Promise<DetectedType | undefined> {
  const detected = await fileTypeFromFile(path);
  if (detected) return { mime: detected.mime, ext: detected.ext };
  if (!allowText) return undefined;
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(TEXT_PROBE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, TEXT_PROBE_BYTES, 0);
    return looksLikePlainText(buffer.subarray(0, bytesRead))
      ? { mime: 'text/plain', ext: 'txt' }
      : undefined;
  } finally {
    await handle.close();
  }
}

function looksLikePlainText(head: Buffer): boolean {
  if (head.includes(0)) return false;
  let text: string;
  try {
    // stream: true tolerates a multi-byte character cut off at the probe's end.
    text = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    return false;
  }
  return !text
    .replace(/^\uFEFF/, '')
    .trimStart()
    .startsWith('<');
}

import { LIMITS } from '@chat/protocol';

/** Extensions that name the same type as file-type's `ext` (which uses the first of each). */
const SAME_TYPE: Record<string, readonly string[]> = {
  jpg: ['jpg', 'jpeg', 'jpe'],
  tif: ['tif', 'tiff'],
  mp3: ['mp3', 'mpga'],
  ogg: ['ogg', 'oga', 'opus'],
  txt: ['txt', 'text', 'log', 'md', 'csv'],
  // The legacy Office formats are all OLE compound files to file-type ("cfb").
  cfb: ['doc', 'xls', 'ppt', 'cfb'],
};

/**
 * The display name only (never used on disk): the last path segment, without control or
 * bidi-override characters, no leading dots, at most 255 UTF-16 units, never empty.
 */
export function safeDisplayName(raw: string | undefined): string {
  const lastSegment = (raw ?? '').split(/[\\/]/).pop() ?? '';
  const cleaned = lastSegment
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069"]/g, '')
    .replace(/^[.\s]+/, '')
    .trim();
  return (cleaned.length > 0 ? cleaned : 'file').slice(0, LIMITS.fileNameMaxChars - 8);
}

/** "photo.html" holding PNG bytes becomes "photo.html.png": the name never contradicts the type. */
export function withDetectedExtension(name: string, ext: string): string {
  const dot = name.lastIndexOf('.');
  const current = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
  const accepted = SAME_TYPE[ext] ?? [ext];
  return accepted.includes(current) ? name : `${name}.${ext}`;
}

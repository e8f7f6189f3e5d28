/**
 * Words of a message as the cross-conversation search index holds them (`messages.terms`, a
 * multikey index with the conversation id): lower case, accents folded ("Café" → "cafe"), split
 * on anything that is not a letter or digit. The embedded MongoDB has no text indexes, and an
 * equality lookup on one word answers through the index on both servers, where a regex over
 * `text` would read every message of every conversation of the caller.
 */

/** Distinct words kept per message: bounds the index entries one send adds. */
export const MAX_TERMS_PER_MESSAGE = 100;
/** Longer "words" (hashes, URLs' paths) are cut: nobody types more to find them. */
export const MAX_TERM_CHARS = 40;

const WORD = /[\p{L}\p{N}]+/gu;
const MARKS = /\p{M}+/gu;

export function termsOf(text: string | undefined, max = MAX_TERMS_PER_MESSAGE): string[] {
  if (!text) return [];
  const out = new Set<string>();
  const folded = text.normalize('NFKD').replace(MARKS, '').toLowerCase();
  for (const match of folded.matchAll(WORD)) {
    out.add(match[0].slice(0, MAX_TERM_CHARS));
    if (out.size >= max) break;
  }
  return [...out];
}

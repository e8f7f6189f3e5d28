import { describe, expect, it } from 'vitest';
import { MAX_TERM_CHARS, termsOf } from './search-terms.js';

describe('termsOf', () => {
  it('lower-cases, folds accents, splits on non-letters, dedupes', () => {
    expect(termsOf("Let's hike, HIKE on Saturday!")).toEqual([
      'let',
      's',
      'hike',
      'on',
      'saturday',
    ]);
    expect(termsOf('Café crème — naïve Ünïcode 🚉 2026')).toEqual([
      'cafe',
      'creme',
      'naive',
      'unicode',
      '2026',
    ]);
    expect(termsOf('Привет мир')).toEqual(['привет', 'мир']);
  });

  it('caps the number and the length of terms; nothing for empty or punctuation', () => {
    expect(termsOf('a b c d', 2)).toEqual(['a', 'b']);
    expect(termsOf('x'.repeat(100))[0]).toHaveLength(MAX_TERM_CHARS);
    expect(termsOf(undefined)).toEqual([]);
    expect(termsOf('?!… --')).toEqual([]);
  });
});

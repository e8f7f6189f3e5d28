import { describe, expect, it } from 'vitest';
import { mentionedNames } from './mentions.js';

describe('mentionedNames', () => {
  it('finds @usernames, lowercased, once each', () => {
    expect(mentionedNames('@Ann hi @bob_2 and @ann again')).toEqual(['ann', 'bob_2']);
  });
  it('also tries a name without the sentence punctuation after it', () => {
    expect(mentionedNames('thanks @ann.')).toEqual(['ann.', 'ann']);
    expect(mentionedNames('(@j.doe-x), ok')).toEqual(['j.doe-x']);
  });
  it('ignores e-mail addresses, too-short names and a bare @', () => {
    expect(mentionedNames('mail ann@example.com or @ab or @ or @@bob')).toEqual([]);
  });
  it('bounds the number of names looked up', () => {
    const text = Array.from({ length: 80 }, (_, i) => `@user${i}`).join(' ');
    expect(mentionedNames(text)).toHaveLength(50);
  });
});

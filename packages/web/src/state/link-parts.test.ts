import { describe, expect, it } from 'vitest';
import { linkParts } from './link-parts.js';

describe('linkParts', () => {
  it('finds URLs, bare domains and e-mail addresses', () => {
    expect(linkParts('see https://example.com/a?b=1 now')).toEqual([
      { text: 'see ' },
      { text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { text: ' now' },
    ]);
    expect(linkParts('example.org')).toEqual([{ text: 'example.org', href: 'http://example.org' }]);
    expect(linkParts('mail ann@example.com')[1]).toEqual({
      text: 'ann@example.com',
      href: 'mailto:ann@example.com',
    });
  });

  it('never makes javascript: or data: links; markup stays text', () => {
    for (const text of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<b>x</b>']) {
      expect(
        linkParts(text).every((p) => p.href === undefined || /^https?:|^mailto:/.test(p.href)),
      ).toBe(true);
    }
    expect(linkParts('<img src=x onerror=alert(1)>')).toEqual([
      { text: '<img src=x onerror=alert(1)>' },
    ]);
    expect(linkParts('')).toEqual([]);
  });
});

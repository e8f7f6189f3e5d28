import { find } from 'linkifyjs';

/** Only these become links: a `javascript:`/`data:` "URL" in a message stays plain text. */
const SAFE_SCHEMES = /^(https?:|mailto:)/i;

export type TextPart = { text: string; href?: undefined } | { text: string; href: string };

/**
 * Message text split into plain runs and links (URLs, bare domains, e-mail addresses, found by
 * linkifyjs). The text is never parsed as HTML: the parts are rendered as text nodes and `<a>`s.
 */
export function linkParts(text: string): TextPart[] {
  const out: TextPart[] = [];
  let at = 0;
  for (const link of find(text)) {
    if (!SAFE_SCHEMES.test(link.href)) continue;
    if (link.start > at) out.push({ text: text.slice(at, link.start) });
    out.push({ text: link.value, href: link.href });
    at = link.end;
  }
  if (at < text.length) out.push({ text: text.slice(at) });
  return out;
}

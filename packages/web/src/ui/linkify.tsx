import { linkParts } from '../state/link-parts.js';

/**
 * Message text with its links clickable. Links open in a new tab without handing it our window
 * (`noopener`) or our URL (`noreferrer`).
 */
export function Linkified({ text }: { text: string }) {
  return (
    <>
      {linkParts(text).map((p, i) =>
        p.href === undefined ? (
          p.text
        ) : (
          <a key={i} href={p.href} target="_blank" rel="noopener noreferrer">
            {p.text}
          </a>
        ),
      )}
    </>
  );
}

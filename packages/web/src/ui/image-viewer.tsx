import type { Attachment } from '@chat/client';
import { createPortal } from 'preact/compat';
import { useEffect, useRef } from 'preact/hooks';
import { Icon } from './icons.js';

/**
 * An image over the page (Escape, the close button or a click outside closes it). Rendered into
 * <body>: inside a message bubble its stacking context would let the chat show through.
 */
export function ImageViewer({ image, onClose }: { image: Attachment; onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    close.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      previous?.focus();
    };
  }, [onClose]);
  return createPortal(
    <div
      class="viewer"
      role="dialog"
      aria-modal="true"
      aria-label={image.name}
      onClick={(e) => e.target === e.currentTarget && onClose()}
    >
      <img src={image.url} alt={image.name} />
      <div class="viewer-bar">
        <span class="ellipsis">{image.name}</span>
        <a class="btn small" href={image.url} download={image.name}>
          Download
        </a>
        <button ref={close} class="icon-btn" aria-label="Close viewer" onClick={onClose}>
          <Icon name="close" />
        </button>
      </div>
    </div>,
    document.body,
  );
}

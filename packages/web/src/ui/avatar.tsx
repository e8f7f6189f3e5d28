const COLORS = [
  '#6366f1',
  '#0ea5e9',
  '#10b981',
  '#f59e0b',
  '#ef4444',
  '#8b5cf6',
  '#ec4899',
  '#14b8a6',
];

function colorOf(seed: string): string {
  let h = 0;
  for (const ch of seed) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return COLORS[h % COLORS.length] ?? '#6366f1';
}

function initials(name: string): string {
  const parts = name
    .trim()
    .split(/[\s._-]+/)
    .filter(Boolean);
  return ((parts[0]?.[0] ?? '?') + (parts[1]?.[0] ?? '')).toUpperCase();
}

export function Avatar(props: {
  name: string;
  seed: string;
  size?: number;
  online?: boolean;
  group?: boolean;
  /** A picture (the user's avatar, docs/PROTOCOL.md#section-7) instead of initials. */
  url?: string | undefined;
}) {
  const size = props.size ?? 44;
  return (
    <span
      class="avatar"
      style={{
        width: `${size}px`,
        height: `${size}px`,
        background: colorOf(props.seed),
        fontSize: `${size * 0.38}px`,
      }}
      aria-hidden="true"
    >
      {props.url ? (
        <img class="avatar-img" src={props.url} alt="" />
      ) : props.group ? (
        '#'
      ) : (
        initials(props.name)
      )}
      {props.online !== undefined && (
        <span
          class={`presence-dot ${props.online ? 'online' : 'offline'}`}
          data-online={String(props.online)}
        />
      )}
    </span>
  );
}

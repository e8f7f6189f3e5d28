/** The people a user blocked from this browser (see AppState.blocked), per signed-in user. */
const key = (me: string) => `chat.blocked.${me}`;

export function loadBlocked(me: string): Record<string, true> {
  try {
    const ids = JSON.parse(localStorage.getItem(key(me)) ?? '[]') as unknown;
    return Array.isArray(ids)
      ? Object.fromEntries(ids.filter((x) => typeof x === 'string').map((id) => [id, true]))
      : {};
  } catch {
    return {};
  }
}

export function saveBlocked(me: string, blocked: Record<string, true>): void {
  localStorage.setItem(key(me), JSON.stringify(Object.keys(blocked)));
}

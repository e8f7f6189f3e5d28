/**
 * Unsent text per conversation, in localStorage: it survives switching chats, a reload, and a
 * session that ended (the person signs in again and finds it). Keyed by user, so a shared
 * browser does not show one account's drafts to another.
 */
const PREFIX = 'chat.draft.';
const key = (userId: string, conversationId: string) => `${PREFIX}${userId}.${conversationId}`;

export function loadDraft(userId: string, conversationId: string): string {
  try {
    return localStorage.getItem(key(userId, conversationId)) ?? '';
  } catch {
    return ''; // storage disabled (private mode, quota): drafts are a convenience
  }
}

export function saveDraft(userId: string, conversationId: string, text: string): void {
  try {
    if (text.trim()) localStorage.setItem(key(userId, conversationId), text);
    else localStorage.removeItem(key(userId, conversationId));
  } catch {
    // as above
  }
}

import type { Conversation, Message } from '@chat/client';
import { formatTime } from './format.js';
import { systemText } from './system-text.js';

/** A membership or group change, centred in the timeline between the messages. */
export function SystemLine({
  conversation,
  message: m,
  me,
}: {
  conversation: Conversation;
  message: Message;
  me: string | undefined;
}) {
  if (!m.system) return null;
  return (
    <li class="system-line" data-seq={m.seq} data-testid="system-line">
      <span>
        {systemText(conversation, m.system, me)}{' '}
        <time dateTime={m.createdAt}>{formatTime(m.createdAt)}</time>
      </span>
    </li>
  );
}

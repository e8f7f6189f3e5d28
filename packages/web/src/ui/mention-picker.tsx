import type { Member } from './mention-query.js';
import { Avatar } from './avatar.js';
import { nameOf } from './format.js';

/** The suggestion list above the composer while an `@name` is being typed. */
export function MentionPicker(props: {
  members: readonly Member[];
  selected: number;
  onPick: (m: Member) => void;
}) {
  return (
    <ul class="mention-picker" role="listbox" aria-label="Mention someone">
      {props.members.map((m, i) => (
        <li
          key={m.userId}
          role="option"
          aria-selected={i === props.selected}
          class={i === props.selected ? 'selected' : ''}
          // mousedown, not click: the textarea must keep its focus and caret.
          onMouseDown={(e) => {
            e.preventDefault();
            props.onPick(m);
          }}
        >
          <Avatar name={nameOf(m.user)} seed={m.userId} url={m.user.avatarUrl} size={24} />
          <strong>{nameOf(m.user)}</strong> <span class="muted">@{m.user.username}</span>
        </li>
      ))}
    </ul>
  );
}

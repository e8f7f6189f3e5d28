import { useEffect, useState } from 'preact/hooks';
import type { Session } from '@chat/client';
import { describeError, type ChatStore } from '../state/chat-store.js';
import { Dialog } from './dialog.js';
import { Avatar } from './avatar.js';
import { PhotoInput } from './photo-input.js';
import { formatListStamp } from './format.js';
import {
  askNotificationPermission,
  chime,
  notificationsAllowed,
  setSoundEnabled,
  soundEnabled,
} from '../state/alerts.js';

function Alerts() {
  const [sound, setSound] = useState(soundEnabled());
  const [permission, setPermission] = useState(
    typeof Notification === 'undefined' ? 'unsupported' : Notification.permission,
  );
  return (
    <section class="settings-section" aria-labelledby="alerts-title">
      <h3 id="alerts-title">Alerts</h3>
      <label class="check">
        <input
          type="checkbox"
          name="sound"
          checked={sound}
          onChange={(e) => {
            const on = e.currentTarget.checked;
            setSoundEnabled(on);
            setSound(on);
            if (on) chime();
          }}
        />
        Play a sound when a message arrives
      </label>
      {permission === 'default' && (
        <button
          class="btn"
          onClick={() => {
            askNotificationPermission();
            // The prompt answers asynchronously; re-read once it did.
            const check = setInterval(() => {
              if (Notification.permission !== 'default') {
                clearInterval(check);
                setPermission(Notification.permission);
              }
            }, 500);
          }}
        >
          Turn on desktop notifications
        </button>
      )}
      {permission !== 'default' && (
        <p class="muted">
          Desktop notifications:{' '}
          {notificationsAllowed()
            ? 'on'
            : permission === 'unsupported'
              ? 'not available'
              : 'blocked in the browser'}
        </p>
      )}
    </section>
  );
}

/** Signed-in devices (revoke one / all others) and the password (docs/PROTOCOL.md#section-7). */
export function SettingsDialog({ store, onClose }: { store: ChatStore; onClose: () => void }) {
  return (
    <Dialog title="Settings" onClose={onClose} wide>
      <Profile store={store} />
      <Alerts />
      <Devices store={store} />
      <PasswordForm store={store} />
    </Dialog>
  );
}

/** The outcome of a settings form: a polite status, or an alert. */
function FormStatus({ status }: { status: { ok: boolean; text: string } | undefined }) {
  if (!status) return null;
  return (
    <p class={status.ok ? 'form-ok' : 'form-error'} role={status.ok ? 'status' : 'alert'}>
      {status.text}
    </p>
  );
}

function Profile({ store }: { store: ChatStore }) {
  const me = store.state.me;
  const [name, setName] = useState(me?.displayName ?? '');
  const [status, setStatus] = useState<{ ok: boolean; text: string }>();
  const save = async (patch: Parameters<typeof store.http.updateMe>[0], done: string) => {
    try {
      store.userUpdated(await store.http.updateMe(patch));
      setStatus({ ok: true, text: done });
    } catch (err) {
      setStatus({ ok: false, text: describeError(err) });
    }
  };
  if (!me) return null;
  return (
    <form
      class="settings-section"
      aria-labelledby="profile-title"
      onSubmit={(e) => {
        e.preventDefault();
        void save({ displayName: name.trim() }, 'Name saved');
      }}
    >
      <h3 id="profile-title">Profile</h3>
      <div class="profile-row">
        <Avatar name={me.displayName} seed={me.id} size={56} url={me.avatarUrl} />
        <PhotoInput
          name="avatar"
          onPick={(file) =>
            void store.http.upload(file).then(
              (att) => save({ avatarAttachmentId: att.id }, 'Photo saved'),
              (err: unknown) => setStatus({ ok: false, text: describeError(err) }),
            )
          }
        />
        {me.avatarUrl && (
          <button
            type="button"
            class="btn small"
            onClick={() => void save({ avatarUrl: null }, 'Photo removed')}
          >
            Remove photo
          </button>
        )}
      </div>
      <label>
        Display name
        <input
          name="displayName"
          required
          maxLength={64}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </label>
      <FormStatus status={status} />
      <button
        class="btn primary"
        type="submit"
        disabled={!name.trim() || name.trim() === me.displayName}
      >
        Save name
      </button>
    </form>
  );
}

function Devices({ store }: { store: ChatStore }) {
  const [sessions, setSessions] = useState<Session[]>();
  const [error, setError] = useState<string>();
  const load = () =>
    store.http.sessions().then(
      (list) => {
        setSessions(list);
        setError(undefined);
      },
      (err: unknown) => setError(describeError(err)),
    );
  useEffect(() => void load(), [store]);
  const act = async (action: () => Promise<void>) => {
    try {
      await action();
      await load();
    } catch (err) {
      setError(describeError(err));
    }
  };
  const others = sessions?.filter((s) => !s.current) ?? [];

  return (
    <section class="settings-section" aria-labelledby="devices-title">
      <h3 id="devices-title">Devices</h3>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {!sessions ? (
        <p class="muted">Loading…</p>
      ) : (
        <ul class="devices" aria-label="Signed-in devices">
          {sessions.map((s) => (
            <li key={s.id} class="device" data-session={s.id}>
              <span class="row-text">
                <strong>{s.deviceName}</strong>
                <span class="muted">
                  {s.current ? 'This device' : `Last active ${formatListStamp(s.lastUsedAt)}`} ·
                  signed in {formatListStamp(s.createdAt)}
                </span>
              </span>
              {!s.current && (
                <button
                  class="btn small danger"
                  aria-label={`Sign out ${s.deviceName}`}
                  onClick={() => void act(() => store.http.revokeSession(s.id))}
                >
                  Sign out
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <button
        class="btn"
        disabled={others.length === 0}
        onClick={() => void act(() => store.http.revokeOtherSessions())}
      >
        Sign out all other devices
      </button>
    </section>
  );
}

function PasswordForm({ store }: { store: ChatStore }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [status, setStatus] = useState<{ ok: boolean; text: string }>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await store.http.changePassword(current, next);
      setCurrent('');
      setNext('');
      setStatus({ ok: true, text: 'Password changed. Your other devices were signed out.' });
    } catch (err) {
      setStatus({ ok: false, text: describeError(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      class="settings-section"
      aria-labelledby="password-title"
      onSubmit={(e) => void submit(e)}
    >
      <h3 id="password-title">Password</h3>
      <label>
        Current password
        <input
          type="password"
          name="currentPassword"
          autoComplete="current-password"
          required
          value={current}
          onInput={(e) => setCurrent(e.currentTarget.value)}
        />
      </label>
      <label>
        New password
        <input
          type="password"
          name="newPassword"
          autoComplete="new-password"
          required
          minLength={8}
          value={next}
          onInput={(e) => setNext(e.currentTarget.value)}
        />
      </label>
      <FormStatus status={status} />
      <button class="btn primary" type="submit" disabled={busy}>
        Change password
      </button>
    </form>
  );
}

import { useState } from 'preact/hooks';
import { describeError, type ChatStore } from '../state/chat-store.js';
import { Icon } from './icons.js';

export function Login({ store }: { store: ChatStore }) {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const register = mode === 'register';

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await store.login(
        username.trim().toLowerCase(),
        password,
        register,
        displayName.trim() || undefined,
      );
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };

  return (
    <div class="auth-page">
      <form class="auth-card" onSubmit={(e) => void submit(e)} aria-labelledby="auth-title">
        <div class="brand">
          <span class="brand-mark" aria-hidden="true">
            <Icon name="chat" />
          </span>{' '}
          Chat
        </div>
        {store.state.sessionEnded && (
          <p class="session-ended" role="alert" data-testid="session-ended">
            Your session has ended (signed out from another device, or it expired). Sign in again:
            your unsent drafts are kept.
          </p>
        )}
        <h1 id="auth-title">{register ? 'Create your account' : 'Welcome back'}</h1>
        <p class="muted">
          {register
            ? 'Pick a username people can find you by.'
            : 'Sign in to continue your conversations.'}
        </p>
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            required
            minLength={3}
            maxLength={32}
            pattern="[a-zA-Z0-9_.\-]+"
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
            autoFocus
          />
        </label>
        {register && (
          <label>
            Display name <span class="muted">(optional)</span>
            <input
              name="displayName"
              autoComplete="name"
              maxLength={64}
              value={displayName}
              onInput={(e) => setDisplayName(e.currentTarget.value)}
            />
          </label>
        )}
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={register ? 'new-password' : 'current-password'}
            required
            minLength={8}
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <button class="btn primary wide" type="submit" disabled={busy}>
          {busy ? 'Please wait…' : register ? 'Create account' : 'Sign in'}
        </button>
        <p class="switch">
          {register ? 'Already have an account?' : 'New here?'}{' '}
          <button
            type="button"
            class="link"
            onClick={() => {
              setMode(register ? 'login' : 'register');
              setError(undefined);
            }}
          >
            {register ? 'Sign in' : 'Create an account'}
          </button>
        </p>
      </form>
    </div>
  );
}

import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, request, type SessionInfo } from '../api';

/**
 * The login form: a page of its own, or (`overlay`) a modal over a page whose session ended, so
 * the page keeps its state.
 */
export function LoginPage(props: {
  notice: string | null;
  onLoggedIn: (s: SessionInfo) => void;
  overlay?: boolean;
}) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<{ username?: string; password?: string }>({});
  const [busy, setBusy] = useState(false);
  const userRef = useRef<HTMLInputElement>(null);
  const passRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (!props.overlay) document.title = 'Log in — mamori hub';
    userRef.current?.focus();
  }, []);

  async function submit(e: Event) {
    e.preventDefault();
    const fe: typeof fieldErrors = {};
    if (!username.trim()) fe.username = 'Enter your user name.';
    if (!password) fe.password = 'Enter your password.';
    setFieldErrors(fe);
    if (fe.username || fe.password) {
      setError(null);
      (fe.username ? userRef : passRef).current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const s = await request<SessionInfo>('POST', '/session', {
        body: { username: username.trim(), password },
        allowUnauthenticated: true,
      });
      props.onLoggedIn(s);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        setError('The user name or password is not right.');
      } else if (err instanceof ApiError && err.status === 429) {
        setError(
          `Too many failed attempts for this user name. Try again${
            err.retryAfter ? ` in ${Math.ceil(err.retryAfter / 60)} minute(s)` : ' later'
          }.`,
        );
      } else if (err instanceof ApiError) {
        setError(err.message);
      } else {
        setError(String(err));
      }
      setPassword('');
      passRef.current?.focus();
    } finally {
      setBusy(false);
    }
  }

  // A <main> on its own page, a dialog over another page (which has its own <main>).
  const Box = (props.overlay ? 'div' : 'main') as 'div';
  return (
    <div class={props.overlay ? 'login-page relogin' : 'login-page'}>
      <Box
        id={props.overlay ? 'relogin' : 'main'}
        class="login-box"
        aria-labelledby="login-title"
        {...(props.overlay ? { role: 'dialog', 'aria-modal': 'true' } : {})}
      >
        <p class="brand">
          <span lang="ja">守り</span> mamori hub
        </p>
        <h1 id="login-title">Log in</h1>
        {props.notice ? (
          <div class="notice notice-info" role="status">
            {props.notice}
          </div>
        ) : null}
        <div aria-live="assertive" id="login-error">
          {error ? (
            <div class="notice notice-error">
              <p>{error}</p>
            </div>
          ) : null}
        </div>
        <form onSubmit={submit} noValidate>
          <div class={`field ${fieldErrors.username ? 'has-error' : ''}`}>
            <label for="login-username">User name</label>
            {fieldErrors.username ? (
              <p id="login-username-error" class="field-error" aria-live="polite">
                <span class="visually-hidden">Error: </span>
                {fieldErrors.username}
              </p>
            ) : null}
            <input
              id="login-username"
              ref={userRef}
              name="username"
              autocomplete="username"
              autocapitalize="none"
              spellcheck={false}
              value={username}
              aria-invalid={fieldErrors.username ? 'true' : undefined}
              aria-describedby={fieldErrors.username ? 'login-username-error' : undefined}
              onInput={(e) => setUsername(e.currentTarget.value)}
            />
          </div>
          <div class={`field ${fieldErrors.password ? 'has-error' : ''}`}>
            <label for="login-password">Password</label>
            {fieldErrors.password ? (
              <p id="login-password-error" class="field-error" aria-live="polite">
                <span class="visually-hidden">Error: </span>
                {fieldErrors.password}
              </p>
            ) : null}
            <input
              id="login-password"
              ref={passRef}
              type="password"
              name="password"
              autocomplete="current-password"
              value={password}
              aria-invalid={fieldErrors.password ? 'true' : undefined}
              aria-describedby={
                [fieldErrors.password ? 'login-password-error' : '', error ? 'login-error' : '']
                  .filter(Boolean)
                  .join(' ') || undefined
              }
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </div>
          <button
            type="submit"
            class="button-primary"
            aria-disabled={busy ? 'true' : undefined}
            disabled={busy}
          >
            {busy ? 'Logging in…' : 'Log in'}
          </button>
        </form>
        <p class="hint">Sessions end after 30 minutes without activity.</p>
      </Box>
    </div>
  );
}

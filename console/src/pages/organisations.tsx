// The organisation directory, an organisation's record, and — for those who administer it (its
// own admins; centre admins for every organisation but the commission) — its users and API
// tokens. Organisations themselves are created and changed only with `mamori admin` on the hub
// host (docs/sharing.md, "organisation-cli-only"): their type, ministry, prefixes and domains
// decide who reads what.

import { useState } from 'preact/hooks';
import {
  ApiError,
  api,
  type Organisation,
  type OrganisationDetail,
  type OrgUser,
  type Role,
} from '../api';
import { ORG_TYPES, humanize, sectorName } from '../format';
import { useSession } from '../session';
import {
  Dialog,
  ErrorMessage,
  ErrorSummary,
  Field,
  Loading,
  NotFound,
  PageTitle,
  describeError,
  useApi,
  type SummaryItem,
} from '../components/ui';

export function OrganisationListPage() {
  const { data, error, loading } = useApi<{ items: Organisation[] }>('/organisations');
  const session = useSession();
  const names = new Map((data?.items ?? []).map((o) => [o.id, o.name]));
  const items = [...(data?.items ?? [])].sort(
    (a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name),
  );
  return (
    <section aria-labelledby="page-title">
      <PageTitle title="Organisations">Organisations</PageTitle>
      <p class="lead">
        Every organisation registered with the hub. Organisations are added and changed by the hub's
        operators with <code>mamori admin org</code>; here you see them and, where you are an
        administrator, manage their users.
      </p>
      {loading ? <Loading what="Loading organisations" /> : null}
      {error ? <ErrorMessage error={error} title="The organisations could not be loaded" /> : null}
      {items.length ? (
        <div class="table-scroll">
          <table class="data">
            <caption class="visually-hidden">Organisations</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Sector</th>
                <th scope="col">Overseeing ministry</th>
              </tr>
            </thead>
            <tbody>
              {items.map((o) => (
                <tr key={o.id}>
                  <td>
                    <a href={`#/organisations/${encodeURIComponent(o.id)}`}>{o.name}</a>
                    {o.id === session.organisation.id ? <span class="muted"> (yours)</span> : null}
                  </td>
                  <td>{ORG_TYPES[o.type] ?? o.type}</td>
                  <td>{o.sector ? sectorName(o.sector) : '—'}</td>
                  <td>{o.ministry ? (names.get(o.ministry) ?? o.ministry) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

export function OrganisationDetailPage({ id }: { id: string }) {
  const { data, error, loading, reload } = useApi<OrganisationDetail>(
    `/organisations/${encodeURIComponent(id)}`,
  );
  const dir = useApi<{ items: Organisation[] }>('/organisations');
  const [adding, setAdding] = useState(false);
  const [tokenFor, setTokenFor] = useState<OrgUser | null>(null);
  const [status, setStatus] = useState('');

  if (error instanceof ApiError && error.status === 404) return <NotFound what="organisation" />;
  if (loading && !data) return <Loading what="Loading the organisation" />;
  if (error || !data)
    return <ErrorMessage error={error} title="The organisation could not be loaded" />;
  const o = data;
  const ministry = o.ministry
    ? (dir.data?.items.find((x) => x.id === o.ministry)?.name ?? o.ministry)
    : null;
  return (
    <section aria-labelledby="page-title">
      <p class="breadcrumb">
        <a href="#/organisations">Organisations</a> / {o.name}
      </p>
      <PageTitle title={o.name}>{o.name}</PageTitle>
      <p role="status" class="status-line">
        {status}
      </p>
      <div class="two-col">
        <section class="card" aria-labelledby="org-record">
          <h2 id="org-record">Record</h2>
          <dl class="facts">
            <dt>Type</dt>
            <dd>{ORG_TYPES[o.type] ?? o.type}</dd>
            <dt>Sector</dt>
            <dd>{o.sector ? sectorName(o.sector) : '—'}</dd>
            <dt>Overseeing ministry</dt>
            <dd>{ministry ?? '—'}</dd>
            <dt>Identifier</dt>
            <dd class="mono">{o.id}</dd>
          </dl>
          <p class="hint">
            Changed only with <code>mamori admin org</code> on the hub host.
          </p>
        </section>
        <section class="card" aria-labelledby="org-owns">
          <h2 id="org-owns">Owned addresses and domains</h2>
          <p class="hint">Events whose targets fall here are routed to this organisation.</p>
          <h3>Prefixes</h3>
          {o.prefixes?.length ? (
            <ul class="mono plain-list">
              {o.prefixes.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          ) : (
            <p class="empty">None.</p>
          )}
          <h3>Domains</h3>
          {o.domains?.length ? (
            <ul class="mono plain-list">
              {o.domains.map((d) => (
                <li key={d}>{d}</li>
              ))}
            </ul>
          ) : (
            <p class="empty">None.</p>
          )}
        </section>
      </div>
      {o.users ? (
        <section class="card" aria-labelledby="org-users">
          <div class="page-head">
            <h2 id="org-users">Users</h2>
            <button type="button" class="button-primary" onClick={() => setAdding(true)}>
              Add user
            </button>
          </div>
          {o.users.length ? (
            <table class="data">
              <caption class="visually-hidden">Users of {o.name}</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Clearance</th>
                  <th scope="col">Signs in with</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {o.users.map((u) => (
                  <tr key={u.id}>
                    <td>{u.name}</td>
                    <td>{humanize(u.role)}</td>
                    <td>{u.clearance}</td>
                    <td>{u.console_login ? 'Password and API tokens' : 'API tokens only'}</td>
                    <td>
                      <button type="button" class="button-secondary" onClick={() => setTokenFor(u)}>
                        Create API token <span class="visually-hidden">for {u.name}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p class="empty">No users yet.</p>
          )}
        </section>
      ) : (
        <p class="muted">
          Only this organisation's administrators and the centre's administrators see its users.
        </p>
      )}
      <AddUserDialog
        open={adding}
        org={o}
        onClose={() => setAdding(false)}
        onAdded={(u) => {
          setAdding(false);
          setStatus(`User ${u.name} added.`);
          reload();
        }}
      />
      <TokenDialog user={tokenFor} org={o} onClose={() => setTokenFor(null)} />
    </section>
  );
}

function AddUserDialog(props: {
  open: boolean;
  org: OrganisationDetail;
  onClose: () => void;
  onAdded: (u: OrgUser) => void;
}) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('analyst');
  const [clearance, setClearance] = useState('1');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  function reset() {
    setName('');
    setRole('analyst');
    setClearance('1');
    setPassword('');
    setErrors({});
    setFailure(null);
  }

  async function submit(e: Event) {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!name.trim()) errs.name = 'Enter a user name';
    if (password && password.length < 12)
      errs.password = 'Use at least 12 characters, or leave it empty for an API-only user';
    setErrors(errs);
    setFailure(null);
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      const body: Record<string, unknown> = {
        name: name.trim(),
        role,
        clearance: Number(clearance),
      };
      if (password) body.password = password;
      const u = await api.post<OrgUser>(
        `/organisations/${encodeURIComponent(props.org.id)}/users`,
        body,
      );
      reset();
      props.onAdded(u);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'name-taken') {
        setErrors({ name: 'This user name is taken; choose another' });
      } else if (err instanceof ApiError && Array.isArray(err.details)) {
        const fe: Record<string, string> = {};
        for (const p of err.fieldProblems()) fe[p.field] = p.problem;
        setErrors(fe);
        if (!Object.keys(fe).length) setFailure(err.message);
      } else if (
        err instanceof ApiError &&
        err.details &&
        typeof err.details === 'object' &&
        'field' in err.details
      ) {
        setErrors({ [String((err.details as { field: unknown }).field)]: err.message });
      } else {
        setFailure(describeError(err));
      }
    } finally {
      setBusy(false);
    }
  }

  const items: SummaryItem[] = Object.entries(errors).map(([f, m]) => ({
    target: `user-${f}`,
    text: m,
  }));
  return (
    <Dialog
      id="add-user"
      open={props.open}
      title={`Add a user to ${props.org.name}`}
      onClose={() => {
        reset();
        props.onClose();
      }}
    >
      <form onSubmit={submit} noValidate>
        <ErrorSummary items={items} />
        {failure ? (
          <div class="notice notice-error" role="alert">
            <p>{failure}</p>
          </div>
        ) : null}
        <Field id="user-name" label="User name" required error={errors.name}>
          {(aria) => (
            <input
              {...aria}
              autocomplete="off"
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field
          id="user-role"
          label="Role"
          error={errors.role}
          hint="Viewers read; analysts also file reports and triage; admins also manage users."
        >
          {(aria) => (
            <select {...aria} value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
              <option value="viewer">Viewer</option>
              <option value="analyst">Analyst</option>
              <option value="admin">Admin</option>
            </select>
          )}
        </Field>
        <Field
          id="user-clearance"
          label="Clearance"
          error={errors.clearance}
          hint="0–3: the highest sensitivity this user may read."
        >
          {(aria) => (
            <select
              {...aria}
              value={clearance}
              onChange={(e) => setClearance(e.currentTarget.value)}
            >
              {['0', '1', '2', '3'].map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          id="user-password"
          label="Password"
          error={errors.password}
          hint="At least 12 characters. Leave empty for a user that only uses API tokens."
        >
          {(aria) => (
            <input
              {...aria}
              type="password"
              autocomplete="new-password"
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          )}
        </Field>
        <div class="button-row">
          <button type="submit" class="button-primary" disabled={busy}>
            {busy ? 'Adding…' : 'Add user'}
          </button>
          <button type="button" class="button-secondary" onClick={props.onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function TokenDialog(props: {
  user: OrgUser | null;
  org: OrganisationDetail;
  onClose: () => void;
}) {
  const [days, setDays] = useState('90');
  const [token, setToken] = useState<{ token: string; expires_at: string | null } | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [dayError, setDayError] = useState<string | null>(null);
  const [copied, setCopied] = useState('');
  const [busy, setBusy] = useState(false);
  const u = props.user;

  function close() {
    setToken(null);
    setFailure(null);
    setDayError(null);
    setCopied('');
    props.onClose();
  }

  async function create(e: Event) {
    e.preventDefault();
    if (!u) return;
    const n = Number(days);
    if (days !== '' && (!Number.isInteger(n) || n < 1 || n > 3650)) {
      setDayError(
        'Enter a number of days from 1 to 3650, or leave it empty for a token that does not expire',
      );
      return;
    }
    setDayError(null);
    setBusy(true);
    setFailure(null);
    try {
      const t = await api.post<{ token: string; expires_at: string | null }>(
        `/organisations/${encodeURIComponent(props.org.id)}/users/${encodeURIComponent(u.id)}/tokens`,
        days === '' ? {} : { expires_in_days: n },
      );
      setToken(t);
    } catch (err) {
      setFailure(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog id="token" open={u !== null} title={u ? `API token for ${u.name}` : ''} onClose={close}>
      {token ? (
        <div>
          <p>
            Copy the token now: the hub keeps only its hash and cannot show it again.
            {token.expires_at ? ` It expires ${token.expires_at}.` : ' It does not expire.'}
          </p>
          <label for="token-value">Token</label>
          <input
            id="token-value"
            class="mono wide-input"
            readOnly
            value={token.token}
            onFocus={(e) => e.currentTarget.select()}
          />
          <div class="button-row">
            <button
              type="button"
              class="button-secondary"
              onClick={async () => {
                try {
                  await navigator.clipboard.writeText(token.token);
                  setCopied('Copied to the clipboard.');
                } catch {
                  setCopied('Copying is not allowed here; select the token and copy it.');
                }
              }}
            >
              Copy
            </button>
            <button type="button" class="button-primary" onClick={close}>
              Done
            </button>
          </div>
          <p role="status">{copied}</p>
        </div>
      ) : (
        <form onSubmit={create} noValidate>
          {failure ? (
            <div class="notice notice-error" role="alert">
              <p>{failure}</p>
            </div>
          ) : null}
          <Field
            id="token-days"
            label="Expires after (days)"
            error={dayError ?? undefined}
            hint="1–3650; empty for no expiry."
          >
            {(aria) => (
              <input
                {...aria}
                inputMode="numeric"
                class="narrow"
                value={days}
                onInput={(e) => setDays(e.currentTarget.value.trim())}
              />
            )}
          </Field>
          <div class="button-row">
            <button type="submit" class="button-primary" disabled={busy}>
              {busy ? 'Creating…' : 'Create token'}
            </button>
            <button type="button" class="button-secondary" onClick={close}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

import { useEffect, useMemo, useState } from 'preact/hooks';
import {
  ApiError,
  api,
  type EventDetail,
  type EventState,
  type HubEvent,
  type Notification,
  type Organisation,
} from '../api';
import { usePagedList } from '../components/paged';
import { EVENT_STATES, formatTime, humanize } from '../format';
import { navigate } from '../router';
import { can, useSession } from '../session';
import {
  Dialog,
  ErrorMessage,
  Field,
  Loading,
  NotFound,
  PageTitle,
  StatePill,
  Tlp,
  describeError,
  useApi,
  LoadMore,
} from '../components/ui';

/** Where triage may go from each state (docs/hub.md); the hub checks again. */
export const NEXT_STATES: Record<EventState, EventState[]> = {
  new: ['in-review', 'noise'],
  'in-review': ['confirmed', 'noise'],
  confirmed: ['notified', 'noise'],
  notified: ['closed'],
  closed: [],
  noise: [],
};

const ACTION_LABEL: Record<EventState, string> = {
  new: 'Back to new',
  'in-review': 'Start review',
  confirmed: 'Confirm',
  notified: 'Notify organisation',
  closed: 'Close',
  noise: 'Mark as noise',
};

export function useOrganisations() {
  const { data } = useApi<{ items: Organisation[] }>('/organisations');
  return useMemo(() => {
    const m = new Map<string, Organisation>();
    for (const o of data?.items ?? []) m.set(o.id, o);
    return { list: data?.items ?? [], byId: m };
  }, [data]);
}

export function EventListPage({ query }: { query: URLSearchParams }) {
  const orgs = useOrganisations();
  const filters = {
    state: query.get('state') ?? '',
    category: query.get('category') ?? '',
    organisation: query.get('organisation') ?? '',
  };
  const key = JSON.stringify(filters);
  const [draft, setDraft] = useState(filters);
  const list = usePagedList<HubEvent>('/events', filters, 'event', 'event-row-');
  const { items, loading, error } = list;

  useEffect(() => setDraft(filters), [key]);

  const orgName = (id: string | null) => (id ? (orgs.byId.get(id)?.name ?? id) : 'Unrouted');

  return (
    <section aria-labelledby="page-title">
      <PageTitle title="Events">Events requiring confirmation</PageTitle>
      <form
        class="filters"
        role="search"
        aria-label="Filter events"
        onSubmit={(e) => {
          e.preventDefault();
          navigate('/events', draft);
        }}
      >
        <div class="field">
          <label for="ev-state">State</label>
          <select
            id="ev-state"
            value={draft.state}
            onChange={(e) => setDraft({ ...draft, state: e.currentTarget.value })}
          >
            <option value="">Any state</option>
            {EVENT_STATES.map((s) => (
              <option key={s} value={s}>
                {humanize(s)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="ev-category">Category</label>
          <input
            id="ev-category"
            value={draft.category}
            placeholder="e.g. sqli"
            onInput={(e) => setDraft({ ...draft, category: e.currentTarget.value.trim() })}
          />
        </div>
        <div class="field">
          <label for="ev-org">Organisation</label>
          <select
            id="ev-org"
            value={draft.organisation}
            onChange={(e) => setDraft({ ...draft, organisation: e.currentTarget.value })}
          >
            <option value="">Any organisation</option>
            {orgs.list.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </div>
        <div class="filter-actions">
          <button type="submit" class="button-primary">
            Apply filters
          </button>
          <a class="button-link" href="#/events">
            Clear
          </a>
        </div>
      </form>
      <p class="visually-hidden" role="status">
        {list.announce}
      </p>
      {error ? <ErrorMessage error={error} title="The events could not be loaded" /> : null}
      {items.length ? (
        <div class="table-scroll">
          <table class="data">
            <caption class="visually-hidden">Events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Category</th>
                <th scope="col">Severity</th>
                <th scope="col">Organisation</th>
                <th scope="col">State</th>
                <th scope="col">Received</th>
              </tr>
            </thead>
            <tbody>
              {items.map((ev, i) => (
                <tr key={ev.id} id={`event-row-${i}`}>
                  <td>
                    <a href={`#/events/${encodeURIComponent(ev.id)}`}>{ev.id}</a>
                  </td>
                  <td>{ev.category}</td>
                  <td>{ev.severity ?? '—'}</td>
                  <td>{orgName(ev.target_organisation)}</td>
                  <td>
                    <StatePill state={ev.state} />
                  </td>
                  <td>{formatTime(ev.received_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : !loading && !error ? (
        <p class="empty">No events match these filters.</p>
      ) : null}
      {loading ? <Loading what="Loading events" /> : null}
      <LoadMore list={list} />
    </section>
  );
}

export function EventDetailPage({ id }: { id: string }) {
  const session = useSession();
  const orgs = useOrganisations();
  const { data, error, loading, reload } = useApi<EventDetail>(`/events/${encodeURIComponent(id)}`);
  const [target, setTarget] = useState<EventState | null>(null);
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | null>(null);
  const [submitError, setSubmitError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');

  if (error instanceof ApiError && error.status === 404) return <NotFound what="event" />;
  if (loading && !data) return <Loading what="Loading the event" />;
  if (error || !data) return <ErrorMessage error={error} title="The event could not be loaded" />;

  const ev = data;
  const orgName = ev.target_organisation
    ? (orgs.byId.get(ev.target_organisation)?.name ?? ev.target_organisation)
    : null;
  const next = can.triage(session) ? NEXT_STATES[ev.state] : [];

  function open(to: EventState) {
    setTarget(to);
    setReason('');
    setReasonError(null);
    setSubmitError(null);
  }

  async function submit(e: Event) {
    e.preventDefault();
    if (!target) return;
    if (!reason.trim()) {
      setReasonError("Give a reason: it is recorded in the event's history.");
      document.getElementById('transition-reason')?.focus();
      return;
    }
    setBusy(true);
    setSubmitError(null);
    try {
      await api.post(`/events/${encodeURIComponent(ev.id)}/transitions`, {
        to: target,
        reason: reason.trim(),
      });
      setTarget(null);
      setStatus(`The event is now ${humanize(target).toLowerCase()}.`);
      reload();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'illegal-transition') {
        setSubmitError(
          'Someone else has moved this event in the meantime. Close this dialog to see its current state.',
        );
        reload();
      } else if (err instanceof ApiError && err.code === 'no-target-organisation') {
        setSubmitError("No organisation owns this event's targets, so there is nobody to notify.");
      } else if (err instanceof ApiError && err.code === 'reason-required') {
        setReasonError(err.message);
      } else {
        setSubmitError(describeError(err));
      }
    } finally {
      setBusy(false);
    }
  }

  const record = ev.record ?? {};
  const targets = Array.isArray(record.targets) ? (record.targets as unknown[]).map(String) : [];
  const sources = Array.isArray(record.sources) ? (record.sources as unknown[]).map(String) : [];

  return (
    <section aria-labelledby="page-title">
      <p class="breadcrumb">
        <a href="#/events">Events</a> / {ev.id}
      </p>
      <div class="page-head">
        <PageTitle title={`Event ${ev.id}`}>
          Event <span class="mono">{ev.id}</span>
        </PageTitle>
        <StatePill state={ev.state} />
      </div>
      <p role="status" class="status-line">
        {status}
      </p>
      <div class="two-col">
        <section class="card" aria-labelledby="ev-facts">
          <h2 id="ev-facts">Facts</h2>
          <dl class="facts">
            <dt>Category</dt>
            <dd>{ev.category}</dd>
            <dt>Kind</dt>
            <dd>{ev.kind === 'detect' ? 'Web attack detection' : 'Selected flow'}</dd>
            <dt>Severity</dt>
            <dd>{ev.severity ?? '—'}</dd>
            <dt>Organisation</dt>
            <dd>{orgName ?? 'Unrouted (no organisation owns the targets)'}</dd>
            <dt>Label</dt>
            <dd>
              <Tlp label={ev.tlp} /> sensitivity {ev.sensitivity}
            </dd>
            <dt>First seen</dt>
            <dd>{formatTime(ev.first_seen)}</dd>
            <dt>Received</dt>
            <dd>{formatTime(ev.received_at)}</dd>
            {targets.length ? (
              <>
                <dt>Targets</dt>
                <dd class="mono">{targets.join(', ')}</dd>
              </>
            ) : null}
            {sources.length ? (
              <>
                <dt>Sources</dt>
                <dd class="mono">{sources.join(', ')}</dd>
              </>
            ) : null}
          </dl>
        </section>
        <section class="card" aria-labelledby="ev-triage">
          <h2 id="ev-triage">Triage</h2>
          {next.length ? (
            <>
              <p>Move this event to:</p>
              <div class="button-row">
                {next.map((to) => (
                  <button
                    key={to}
                    type="button"
                    class={to === 'noise' ? 'button-secondary' : 'button-primary'}
                    onClick={() => open(to)}
                  >
                    {ACTION_LABEL[to]} <span class="visually-hidden">(to {to})</span>
                  </button>
                ))}
              </div>
            </>
          ) : can.triage(session) ? (
            <p>This event is {ev.state}; triage has ended.</p>
          ) : (
            <p>
              Centre analysts triage events. You see this event because it concerns your
              organisation.
            </p>
          )}
          <h3>History</h3>
          {ev.history.length ? (
            <ol class="timeline">
              {ev.history.map((h, i) => (
                <li key={i}>
                  <p>
                    <StatePill state={h.from} /> → <StatePill state={h.to} />{' '}
                    <span class="muted">
                      {formatTime(h.at)} by <span class="mono">{h.user}</span>
                    </span>
                  </p>
                  {h.reason ? <p class="reason">{h.reason}</p> : null}
                </li>
              ))}
            </ol>
          ) : (
            <p class="empty">Not triaged yet.</p>
          )}
        </section>
      </div>
      <section class="card" aria-labelledby="ev-record">
        <h2 id="ev-record">Record as ingested</h2>
        <pre class="json" tabIndex={0} aria-label="Event record (JSON)">
          {JSON.stringify(ev.record, null, 2)}
        </pre>
      </section>

      <Dialog
        id="transition-dialog"
        open={target !== null}
        title={target ? `${ACTION_LABEL[target]}: ${ev.id}` : ''}
        onClose={() => setTarget(null)}
      >
        <form onSubmit={submit} noValidate>
          <p>
            {ev.state} → <strong>{target}</strong>
          </p>
          {submitError ? (
            <div class="notice notice-error" role="alert">
              {submitError}
            </div>
          ) : null}
          <Field
            id="transition-reason"
            label="Reason"
            required
            error={reasonError ?? undefined}
            hint={
              target === 'notified'
                ? `Sent to ${orgName ?? 'the organisation'} as the notification's message.`
                : "Recorded with your name in the event's history."
            }
          >
            {(aria) => (
              <textarea
                {...aria}
                rows={4}
                maxLength={2000}
                value={reason}
                onInput={(e) => {
                  setReason(e.currentTarget.value);
                  if (reasonError && e.currentTarget.value.trim()) setReasonError(null);
                }}
              />
            )}
          </Field>
          <div class="button-row">
            <button type="submit" class="button-primary" disabled={busy}>
              {busy ? 'Saving…' : `Move to ${target}`}
            </button>
            <button type="button" class="button-secondary" onClick={() => setTarget(null)}>
              Cancel
            </button>
          </div>
        </form>
      </Dialog>
    </section>
  );
}

export function NotificationsPage() {
  const session = useSession();
  const { data, error, loading } = useApi<{ items: Notification[] }>('/notifications');
  return (
    <section aria-labelledby="page-title">
      <PageTitle title="Notifications">Notifications</PageTitle>
      <p class="lead">
        Events the centre has confirmed and notified to {session.organisation.name}.
      </p>
      {loading ? <Loading what="Loading notifications" /> : null}
      {error ? <ErrorMessage error={error} title="The notifications could not be loaded" /> : null}
      {data && !data.items.length ? <p class="empty">No notifications yet.</p> : null}
      {data && data.items.length ? (
        <ul class="notification-list">
          {data.items.map((n) => (
            <li key={n.id} class="card notification">
              <h2>
                <a href={`#/events/${encodeURIComponent(n.event)}`}>
                  {n.content?.category ?? 'Event'} <span class="mono">{n.event}</span>
                </a>
              </h2>
              <p class="muted">
                {formatTime(n.created_at)} · <Tlp label={n.tlp} />
                {n.content?.severity ? ` · severity ${n.content.severity}` : ''}
              </p>
              {n.content?.message ? <p class="message">{n.content.message}</p> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

// Oversight (commission only): the selection orders and ledger heads sensors have reported, a
// check of each head's signature and consistency, and the hub's audit ledger to verify offline
// (docs/oversight.md). Everyone else gets 403 "oversight-commission-only" from the hub, which this
// page explains.

import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, api, apiPath } from '../api';
import { formatTime } from '../format';
import { usePagedList } from '../components/paged';
import { Badge, ErrorMessage, LoadMore, Loading, PageTitle, describeError } from '../components/ui';

interface OrderItem {
  id: string;
  sensor: string;
  order_id: string;
  purpose: string | null;
  approved_by: string | null;
  scopes: string[] | null;
  valid_from: string | null;
  valid_until: string | null;
  criteria_count: number | null;
  payload_sha256: string;
  key_id: string | null;
  signature: 'valid' | 'invalid' | 'unchecked';
  issued_by: string | null;
  signature_problem: string | null;
  received_at: string;
  last_reported_at: string;
  reports: number;
  envelope: unknown;
}

interface HeadItem {
  id: string;
  sensor: string;
  tree_size: number;
  root: string;
  time: string;
  key_id: string;
  received_at: string;
  orders: string[];
}

interface Verification {
  id: string;
  signature_valid: boolean;
  consistent_with_previous: boolean;
  previous: { id: string; tree_size: number; root: string; received_at: string } | null;
  problems: string[];
  checked_at: string;
}

function Refused({ error, what }: { error: unknown; what: string }) {
  if (error instanceof ApiError && error.status === 403) {
    return (
      <div class="notice notice-info" role="status">
        <p class="notice-title">Only the oversight commission can see {what}.</p>
        <p>
          The law fixes who inspects the sensors' handling: the commission, not the centre that runs
          them. (The hub answered <code>{error.code}</code>.)
        </p>
      </div>
    );
  }
  return <ErrorMessage error={error} title={`The ${what} could not be loaded`} />;
}

const NO_FILTERS: Record<string, string> = {};

export function OversightPage() {
  return (
    <section aria-labelledby="page-title">
      <PageTitle title="Oversight">Oversight</PageTitle>
      <p class="lead">
        What the sensors report about their own handling — the selection orders they run under and
        the signed heads of their handling ledgers — and the hub's own audit ledger.
      </p>
      <Orders />
      <Heads />
      <AuditLedger />
    </section>
  );
}

function SignatureBadge({ o }: { o: OrderItem }) {
  if (o.signature === 'valid') return <Badge kind="ok">signature valid</Badge>;
  if (o.signature === 'invalid') return <Badge kind="overdue">signature INVALID</Badge>;
  return <Badge kind="pending">signature not checked</Badge>;
}

function Orders() {
  const list = usePagedList<OrderItem>('/oversight/orders', NO_FILTERS, 'order', 'order-row-');
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section class="card" aria-labelledby="ov-orders">
      <h2 id="ov-orders">Selection orders</h2>
      <p class="visually-hidden" role="status">
        {list.announce}
      </p>
      {list.loading && !list.items.length ? <Loading what="Loading selection orders" /> : null}
      {list.error ? <Refused error={list.error} what="selection orders" /> : null}
      {!list.loading && !list.error && !list.items.length ? (
        <p class="empty">No sensor has reported a selection order yet.</p>
      ) : null}
      {list.items.length ? (
        <div class="table-scroll">
          <table class="data">
            <caption class="visually-hidden">Selection orders reported by sensors</caption>
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Sensor</th>
                <th scope="col">Purpose and scopes</th>
                <th scope="col">Valid</th>
                <th scope="col" class="num">
                  Criteria
                </th>
                <th scope="col">Signature</th>
                <th scope="col">Reported</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((o, i) => (
                <Fragment key={o.id}>
                  <tr id={`order-row-${i}`}>
                    <td>
                      <span class="mono">{o.order_id}</span>
                      <br />
                      <button
                        type="button"
                        class="button-quiet"
                        aria-expanded={open === o.id}
                        aria-controls={`env-${o.id}`}
                        onClick={() => setOpen(open === o.id ? null : o.id)}
                      >
                        {open === o.id ? 'Hide' : 'Show'} the signed envelope{' '}
                        <span class="visually-hidden">of {o.order_id}</span>
                      </button>
                    </td>
                    <td>{o.sensor}</td>
                    <td>
                      {o.purpose ?? '—'}
                      {o.scopes?.length ? <div class="muted">{o.scopes.join(', ')}</div> : null}
                    </td>
                    <td>
                      {formatTime(o.valid_from)} –<br />
                      {formatTime(o.valid_until)}
                    </td>
                    <td class="num">{o.criteria_count ?? '—'}</td>
                    <td>
                      <SignatureBadge o={o} />
                      {o.issued_by ? <div class="muted mono">key {o.issued_by}</div> : null}
                      {o.signature_problem ? <div class="muted">{o.signature_problem}</div> : null}
                    </td>
                    <td>
                      {formatTime(o.last_reported_at)}
                      <div class="muted">
                        {o.reports} {o.reports === 1 ? 'report' : 'reports'}
                      </div>
                    </td>
                  </tr>
                  {open === o.id ? (
                    <tr>
                      <td colSpan={7}>
                        <p class="hint">
                          SHA-256 of the order document: <code>{o.payload_sha256}</code>
                        </p>
                        <pre
                          class="json"
                          id={`env-${o.id}`}
                          tabIndex={0}
                          aria-label={`Signed envelope of ${o.order_id}`}
                        >
                          {JSON.stringify(o.envelope, null, 2)}
                        </pre>
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <LoadMore list={list} label="Load more orders" />
    </section>
  );
}

function Heads() {
  const list = usePagedList<HeadItem>(
    '/oversight/ledger-heads',
    NO_FILTERS,
    'ledger head',
    'head-row-',
  );
  const [results, setResults] = useState<Record<string, Verification | string>>({});
  const [busy, setBusy] = useState<string | null>(null);
  const [announce, setAnnounce] = useState('');

  async function verify(h: HeadItem) {
    setBusy(h.id);
    try {
      const v = await api.post<Verification>(
        `/oversight/ledger-heads/${encodeURIComponent(h.id)}/verification`,
      );
      setResults((r) => ({ ...r, [h.id]: v }));
      const ok = v.signature_valid && v.consistent_with_previous && !v.problems.length;
      setAnnounce(
        `Head of ${h.sensor} at ${h.tree_size} entries: ${ok ? 'verified' : 'verification FAILED'}.`,
      );
    } catch (e) {
      setResults((r) => ({ ...r, [h.id]: describeError(e) }));
      setAnnounce(`Head of ${h.sensor} at ${h.tree_size} entries could not be verified.`);
    } finally {
      setBusy(null);
    }
  }

  return (
    <section class="card" aria-labelledby="ov-heads">
      <h2 id="ov-heads">Sensor ledger heads</h2>
      <p class="hint">
        Each sensor's handling ledger is append-only; its signed head fixes how many entries it has.
        "Verify" checks the signature again and that no earlier head of the same sensor is longer or
        differs at the same size.
      </p>
      <p class="visually-hidden" role="status">
        {announce || list.announce}
      </p>
      {list.loading && !list.items.length ? <Loading what="Loading ledger heads" /> : null}
      {list.error ? <Refused error={list.error} what="ledger heads" /> : null}
      {!list.loading && !list.error && !list.items.length ? (
        <p class="empty">No sensor has reported a ledger head yet.</p>
      ) : null}
      {list.items.length ? (
        <div class="table-scroll">
          <table class="data">
            <caption class="visually-hidden">Signed tree heads of sensor handling ledgers</caption>
            <thead>
              <tr>
                <th scope="col">Sensor</th>
                <th scope="col" class="num">
                  Entries
                </th>
                <th scope="col">Root</th>
                <th scope="col">Signed</th>
                <th scope="col">Received</th>
                <th scope="col">Verification</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((h, i) => {
                const r = results[h.id];
                const ok =
                  r &&
                  typeof r !== 'string' &&
                  r.signature_valid &&
                  r.consistent_with_previous &&
                  !r.problems.length;
                return (
                  <tr key={h.id} id={`head-row-${i}`}>
                    <td>
                      {h.sensor}
                      <div class="muted mono">key {h.key_id}</div>
                    </td>
                    <td class="num">{h.tree_size}</td>
                    <td class="mono">
                      <abbr title={h.root}>{h.root.slice(0, 16)}…</abbr>
                    </td>
                    <td>{formatTime(h.time)}</td>
                    <td>{formatTime(h.received_at)}</td>
                    <td>
                      <button
                        type="button"
                        class="button-secondary"
                        disabled={busy === h.id}
                        onClick={() => void verify(h)}
                      >
                        {busy === h.id ? 'Verifying…' : 'Verify'}{' '}
                        <span class="visually-hidden">
                          the head of {h.sensor} at {h.tree_size} entries
                        </span>
                      </button>
                      {typeof r === 'string' ? <p class="field-error">{r}</p> : null}
                      {r && typeof r !== 'string' ? (
                        <div class={`verify-result ${ok ? 'ok' : 'bad'}`}>
                          <p>
                            {ok ? 'Verified' : 'FAILED'}: signature{' '}
                            {r.signature_valid ? 'valid' : 'INVALID'};{' '}
                            {r.consistent_with_previous ? 'consistent' : 'NOT consistent'} with{' '}
                            {r.previous
                              ? `the head before (${r.previous.tree_size} entries)`
                              : 'earlier heads (none)'}
                            .
                          </p>
                          {r.problems.length ? (
                            <ul>
                              {r.problems.map((p) => (
                                <li key={p}>{p}</li>
                              ))}
                            </ul>
                          ) : null}
                          <p class="muted">Checked {formatTime(r.checked_at)}</p>
                        </div>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      <LoadMore list={list} label="Load more heads" />
    </section>
  );
}

function filenameOf(disposition: string | null): string {
  const m = disposition?.match(/filename="?([A-Za-z0-9._-]+)"?/);
  return m ? m[1] : 'hub-audit.tar';
}

function AuditLedger() {
  const [state, setState] = useState<{
    busy: boolean;
    error: unknown;
    done: { name: string; bytes: number; keyId: string | null; treeSize: string | null } | null;
  }>({ busy: false, error: null, done: null });

  async function download() {
    setState({ busy: true, error: null, done: null });
    try {
      const res = await fetch(apiPath('/oversight/audit-ledger'), {
        credentials: 'same-origin',
        cache: 'no-store',
      });
      if (!res.ok) {
        let code = `http-${res.status}`;
        let message = `The hub answered ${res.status}.`;
        try {
          const body = (await res.json()) as { error?: { code?: string; message?: string } };
          code = body.error?.code ?? code;
          message = body.error?.message ?? message;
        } catch {
          // not JSON
        }
        throw new ApiError(res.status, code, message, null);
      }
      const blob = await res.blob();
      const name = filenameOf(res.headers.get('Content-Disposition'));
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setState({
        busy: false,
        error: null,
        done: {
          name,
          bytes: blob.size,
          keyId: res.headers.get('X-Mamori-Audit-Key-Id'),
          treeSize: res.headers.get('X-Mamori-Audit-Tree-Size'),
        },
      });
    } catch (e) {
      setState({ busy: false, error: e, done: null });
    }
  }

  const d = state.done;
  return (
    <section class="card" aria-labelledby="ov-audit">
      <h2 id="ov-audit">The hub's audit ledger</h2>
      <p>
        Every read and write of a shared object, refusals included, signed by the hub. Download a
        snapshot and verify it offline with the audit key you hold from the hub's operator:
      </p>
      <pre class="command">
        tar xf hub-audit.tar{'\n'}mamori ledger verify --ledger hub-audit --trust audit.pub
      </pre>
      <button
        type="button"
        class="button-primary"
        disabled={state.busy}
        onClick={() => void download()}
      >
        {state.busy ? 'Downloading…' : 'Download the audit ledger'}
      </button>
      <div role="status">
        {d ? (
          <p>
            Downloaded {d.name} ({d.bytes.toLocaleString('en')} bytes
            {d.treeSize ? `, ${d.treeSize} entries` : ''}
            {d.keyId ? `, audit key ${d.keyId}` : ''}). Keep the last line of heads.ndjson: the next
            download must extend it.
          </p>
        ) : null}
      </div>
      {state.error ? <Refused error={state.error} what="the audit ledger" /> : null}
    </section>
  );
}

import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { usePagedList } from '../components/paged';
import { ApiError, type Doc, type Report, type ReportSummary, type StageStatus } from '../api';
import {
  REPORT_TYPES,
  SECTORS,
  formatTime,
  humanize,
  reportTypeName,
  sectorName,
  stageName,
} from '../format';
import { navigate } from '../router';
import { can, useSession } from '../session';
import {
  Badge,
  ErrorMessage,
  Flash,
  Loading,
  NotFound,
  PageTitle,
  Tlp,
  useApi,
  LoadMore,
} from '../components/ui';
import { labelFor, orderedKeys, valueText } from '../report/schema';

export function DeadlineBadge({ status }: { status: StageStatus | null }) {
  if (!status) return <span class="muted">no discovery time</span>;
  if (!status.next_due) return <Badge kind="ok">all stages in</Badge>;
  const due = status.stages.find((s) => s.stage === status.next_due);
  return (
    <span>
      {status.overdue_now ? <Badge kind="overdue">overdue</Badge> : null}{' '}
      {humanize(status.next_due)} due {formatTime(due?.due_at)}
    </span>
  );
}

export function ReportListPage({ query }: { query: URLSearchParams }) {
  const session = useSession();
  const filters = {
    type: query.get('type') ?? '',
    sector: query.get('sector') ?? '',
    stage: query.get('stage') ?? '',
    overdue: query.get('overdue') ?? '',
  };
  const key = JSON.stringify(filters);
  const [draft, setDraft] = useState(filters);
  const list = usePagedList<ReportSummary>('/reports', filters, 'report', 'report-row-');
  const { items, loading, error } = list;

  useEffect(() => setDraft(filters), [key]);

  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <PageTitle title="Incident reports">Incident reports</PageTitle>
        {can.fileReports(session) ? (
          <a class="button-primary" href="#/reports/new">
            File a report
          </a>
        ) : null}
      </div>
      <form
        class="filters"
        role="search"
        aria-label="Filter reports"
        onSubmit={(e) => {
          e.preventDefault();
          navigate('/reports', draft);
        }}
      >
        <div class="field">
          <label for="rf-type">Type</label>
          <select
            id="rf-type"
            value={draft.type}
            onChange={(e) => setDraft({ ...draft, type: e.currentTarget.value })}
          >
            <option value="">Any type</option>
            {Object.entries(REPORT_TYPES).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="rf-sector">Sector</label>
          <select
            id="rf-sector"
            value={draft.sector}
            onChange={(e) => setDraft({ ...draft, sector: e.currentTarget.value })}
          >
            <option value="">Any sector</option>
            {Object.entries(SECTORS).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="rf-stage">Stage</label>
          <select
            id="rf-stage"
            value={draft.stage}
            onChange={(e) => setDraft({ ...draft, stage: e.currentTarget.value })}
          >
            <option value="">Any stage</option>
            <option value="initial">Initial</option>
            <option value="interim">Interim</option>
            <option value="final">Final</option>
            <option value="draft">Draft (never submitted)</option>
          </select>
        </div>
        <div class="field">
          <label for="rf-overdue">Deadlines</label>
          <select
            id="rf-overdue"
            value={draft.overdue}
            onChange={(e) => setDraft({ ...draft, overdue: e.currentTarget.value })}
          >
            <option value="">Any</option>
            <option value="true">Overdue now</option>
            <option value="false">Not overdue</option>
          </select>
        </div>
        <div class="filter-actions">
          <button type="submit" class="button-primary">
            Apply filters
          </button>
          <a class="button-link" href="#/reports">
            Clear
          </a>
        </div>
      </form>
      <p class="visually-hidden" role="status">
        {list.announce}
      </p>
      {error ? <ErrorMessage error={error} title="The reports could not be loaded" /> : null}
      {items.length ? (
        <div class="table-scroll">
          <table class="data">
            <caption class="visually-hidden">Incident reports, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Report</th>
                <th scope="col">Type</th>
                <th scope="col">Reporter</th>
                <th scope="col">Sector</th>
                <th scope="col">Stage</th>
                <th scope="col">Next deadline</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r, i) => (
                <tr key={r.id} id={`report-row-${i}`}>
                  <td>
                    <a href={`#/reports/${encodeURIComponent(r.id)}`}>{r.id}</a>
                  </td>
                  <td>{reportTypeName(r.type)}</td>
                  <td>{r.reporter.name}</td>
                  <td>{sectorName(r.sector)}</td>
                  <td>
                    {stageName(r.stage)}
                    {r.has_draft && r.stage ? <span class="muted"> (+ draft)</span> : null}
                  </td>
                  <td>
                    <DeadlineBadge status={r.status} />
                  </td>
                  <td>{formatTime(r.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : !loading && !error ? (
        <p class="empty">No reports match these filters.</p>
      ) : null}
      {loading ? <Loading what="Loading reports" /> : null}
      <LoadMore list={list} />
    </section>
  );
}

function renderValue(path: string, v: unknown): ComponentChildren {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return v ? 'Yes' : 'No';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') {
    if (/_at$/.test(path) && !Number.isNaN(Date.parse(v))) return formatTime(v);
    return valueText(path, v);
  }
  if (Array.isArray(v)) {
    if (!v.length) return <span class="muted">none</span>;
    if (v.every((x) => typeof x !== 'object' || x === null))
      return v.map((x) => valueText(path, String(x))).join(', ');
    return (
      <ol class="doc-list">
        {v.map((x, i) => (
          <li key={i}>{renderValue(`${path}[]`, x)}</li>
        ))}
      </ol>
    );
  }
  return <DocView doc={v as Doc} path={path} />;
}

/** A report document as a definition list, nested objects indented. */
export function DocView({ doc, path = '' }: { doc: Doc; path?: string }) {
  const entries = orderedKeys(path.replace(/\[\]/g, ''), Object.keys(doc))
    .map((k) => [k, doc[k]] as const)
    // The reporter's organisation id repeats the report's reporter, named above.
    .filter(
      ([k, v]) => v !== null && v !== undefined && !(path === 'reporter' && k === 'organisation'),
    );
  if (!entries.length) return <span class="muted">empty</span>;
  return (
    <dl class="doc">
      {entries.map(([k, v]) => {
        const p = path ? `${path}.${k}` : k;
        return (
          <div key={k} class="doc-row">
            <dt>{labelFor(p.replace(/\[\]/g, '')) ?? humanize(k)}</dt>
            <dd>{renderValue(p, v)}</dd>
          </div>
        );
      })}
    </dl>
  );
}

export function ReportDetailPage({ id }: { id: string }) {
  const session = useSession();
  const { data, error, loading } = useApi<Report>(`/reports/${encodeURIComponent(id)}`);
  if (error instanceof ApiError && error.status === 404) return <NotFound what="report" />;
  if (loading && !data) return <Loading what="Loading the report" />;
  if (error || !data) return <ErrorMessage error={error} title="The report could not be loaded" />;
  const r = data;
  const mine = r.reporter.id === session.organisation.id;
  const canEdit = mine && can.fileReports(session) && r.stage !== 'final';
  const canCorrectFinal = mine && can.fileReports(session) && r.stage === 'final';
  return (
    <section aria-labelledby="page-title">
      <p class="breadcrumb">
        <a href="#/reports">Incident reports</a> / {r.id}
      </p>
      <div class="page-head">
        <PageTitle title={`${reportTypeName(r.type)} report ${r.id}`}>
          {reportTypeName(r.type)} report <span class="mono">{r.id}</span>
        </PageTitle>
        {canEdit || canCorrectFinal ? (
          <a class="button-primary" href={`#/reports/${encodeURIComponent(r.id)}/edit`}>
            {r.stage === null
              ? 'Continue the draft'
              : r.stage === 'final'
                ? 'Correct the final report'
                : 'Continue: next stage'}
          </a>
        ) : null}
      </div>
      <Flash />
      <dl class="facts summary-facts">
        <dt>Reporter</dt>
        <dd>{r.reporter.name}</dd>
        <dt>Sector</dt>
        <dd>{sectorName(r.sector)}</dd>
        <dt>Stage</dt>
        <dd data-testid="report-stage">{stageName(r.stage)}</dd>
        <dt>Label</dt>
        <dd>
          <Tlp label={r.tlp} /> sensitivity {r.sensitivity}
        </dd>
        <dt>Discovered</dt>
        <dd>{formatTime(r.discovered_at)}</dd>
        <dt>Police</dt>
        <dd>
          {r.police_included ? 'Shared with police organisations' : 'Not shared with the police'}
        </dd>
      </dl>
      {mine && r.has_draft ? (
        <div class="notice notice-info">
          <p>
            Your organisation has a saved draft of the next submission. Only your organisation sees
            it.
          </p>
        </div>
      ) : null}
      <div class="two-col">
        <section class="card" aria-labelledby="deadlines-title">
          <h2 id="deadlines-title">Stage deadlines</h2>
          {r.status ? (
            <table>
              <caption class="visually-hidden">
                Deadlines of each stage, counted from discovery
              </caption>
              <thead>
                <tr>
                  <th scope="col">Stage</th>
                  <th scope="col">Due</th>
                  <th scope="col">Submitted</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {r.status.stages.map((s) => (
                  <tr key={s.stage}>
                    <th scope="row">{stageName(s.stage)}</th>
                    <td>{formatTime(s.due_at)}</td>
                    <td>
                      {formatTime(s.submitted_at)}
                      {s.satisfied_by && s.satisfied_by !== s.stage ? (
                        <span class="muted"> (by the {s.satisfied_by} report)</span>
                      ) : null}
                    </td>
                    <td>
                      {s.submitted_at ? (
                        s.overdue ? (
                          <Badge kind="overdue">late</Badge>
                        ) : (
                          <Badge kind="ok">on time</Badge>
                        )
                      ) : s.overdue ? (
                        <Badge kind="overdue">overdue</Badge>
                      ) : (
                        <Badge kind="pending">due</Badge>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p class="empty">No discovery time yet, so no deadlines.</p>
          )}
        </section>
        <section class="card" aria-labelledby="timeline-title">
          <h2 id="timeline-title">Timeline</h2>
          <ol class="timeline">
            <li>
              <p>
                Created <span class="muted">{formatTime(r.created_at)}</span>
              </p>
            </li>
            {r.timeline.map((s) => (
              <li key={s.seq}>
                <p>
                  <strong>{stageName(s.stage)}</strong>{' '}
                  {s.correction ? <Badge kind="pending">correction</Badge> : null} submitted{' '}
                  <span class="muted">{formatTime(s.submitted_at)}</span> by{' '}
                  {s.user.name ?? s.user.id}
                </p>
              </li>
            ))}
          </ol>
          {!r.timeline.length ? <p class="empty">Not submitted yet (draft only).</p> : null}
        </section>
      </div>
      <section class="card" aria-labelledby="doc-title">
        <h2 id="doc-title">{r.document ? 'Latest submitted document' : 'Draft'}</h2>
        {r.document ? (
          <DocView doc={r.document} />
        ) : r.draft ? (
          <DocView doc={r.draft} />
        ) : (
          <p class="empty">Empty.</p>
        )}
      </section>
    </section>
  );
}

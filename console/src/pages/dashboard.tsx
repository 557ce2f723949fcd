import { useState } from 'preact/hooks';
import type { Dashboard } from '../api';
import {
  HorizontalBars,
  OTHER_COLOUR,
  PALETTE,
  StackedColumns,
  type SeriesKey,
} from '../components/charts';
import { ErrorMessage, Loading, PageTitle, useApi } from '../components/ui';
import { formatTime, humanize, reportTypeName, sectorName, STAGES } from '../format';
import { can, useSession } from '../session';

const MAX_CATEGORIES = 7;

function lastDays(n: number): string[] {
  // The hub counts by UTC day ("2026-11-20").
  const out: string[] = [];
  const today = Date.UTC(
    new Date().getUTCFullYear(),
    new Date().getUTCMonth(),
    new Date().getUTCDate(),
  );
  for (let i = n - 1; i >= 0; i--)
    out.push(new Date(today - i * 86_400_000).toISOString().slice(0, 10));
  return out;
}

function eventColumns(d: Dashboard, days: number) {
  const byCategory = new Map<string, number>();
  for (const r of d.events_by_day)
    byCategory.set(r.category, (byCategory.get(r.category) ?? 0) + r.count);
  const ranked = [...byCategory.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = ranked.slice(
    0,
    ranked.length > MAX_CATEGORIES + 1 ? MAX_CATEGORIES : MAX_CATEGORIES + 1,
  );
  const shownSet = new Set(shown.map(([c]) => c));
  const keys: SeriesKey[] = shown.map(([c], i) => ({
    key: c,
    label: c,
    colour: PALETTE[i % PALETTE.length],
  }));
  if (shown.length < ranked.length)
    keys.push({ key: '__other', label: 'other categories', colour: OTHER_COLOUR });
  const cells = new Map<string, Record<string, number>>();
  for (const r of d.events_by_day) {
    const k = shownSet.has(r.category) ? r.category : '__other';
    const row = cells.get(r.day) ?? {};
    row[k] = (row[k] ?? 0) + r.count;
    cells.set(r.day, row);
  }
  const dayList = lastDays(days);
  // Days the hub reports outside the window (time zone edges) are kept rather than dropped.
  for (const day of cells.keys()) if (!dayList.includes(day)) dayList.push(day);
  dayList.sort();
  return {
    keys,
    columns: dayList.map((day) => ({
      label: day.slice(5),
      full: day,
      values: cells.get(day) ?? {},
    })),
  };
}

const STAGE_KEYS: SeriesKey[] = [
  { key: 'draft', label: 'Draft', colour: OTHER_COLOUR },
  { key: 'initial', label: STAGES.initial, colour: PALETTE[1] },
  { key: 'interim', label: STAGES.interim, colour: PALETTE[0] },
  { key: 'final', label: STAGES.final, colour: PALETTE[2] },
];

export function DashboardPage() {
  const session = useSession();
  const [days, setDays] = useState(30);
  const { data, error, loading } = useApi<Dashboard>('/dashboard', { days });

  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <PageTitle title="Dashboard">Dashboard</PageTitle>
        <div class="field inline-field">
          <label for="dash-days">Period</label>
          <select
            id="dash-days"
            value={String(days)}
            onChange={(e) => setDays(Number(e.currentTarget.value))}
          >
            <option value="7">Last 7 days</option>
            <option value="30">Last 30 days</option>
            <option value="90">Last 90 days</option>
            <option value="366">Last year</option>
          </select>
        </div>
      </div>
      <p class="lead">
        Counts over what {session.organisation.name} may read, for the last {days} days.
      </p>
      {loading && !data ? <Loading what="Loading the dashboard" /> : null}
      {error ? <ErrorMessage error={error} title="The dashboard could not be loaded" /> : null}
      {data ? (
        <DashboardBody data={data} days={days} showReports={can.readReports(session)} />
      ) : null}
    </section>
  );
}

function DashboardBody({
  data,
  days,
  showReports,
}: {
  data: Dashboard;
  days: number;
  showReports: boolean;
}) {
  const ev = eventColumns(data, days);
  const openRows = [...data.open_events_by_organisation]
    .sort((a, b) => b.count - a.count)
    .map((r) => ({
      label: r.organisation?.name ?? 'Unrouted (no owner)',
      values: { open: r.count },
    }));
  const sectorRows = new Map<string, Record<string, number>>();
  for (const r of data.reports_by_sector_stage) {
    const label = sectorName(r.sector ?? null);
    const row = sectorRows.get(label) ?? {};
    row[r.stage] = (row[r.stage] ?? 0) + r.count;
    sectorRows.set(label, row);
  }
  return (
    <div class="dash-grid">
      <section class="card dash-wide" aria-labelledby="chart-events">
        <h2 id="chart-events">Events over time, by category</h2>
        {data.events_by_day.length ? (
          <StackedColumns
            title="Events per day by category"
            columns={ev.columns}
            keys={ev.keys}
            unit="events"
          />
        ) : (
          <p class="empty">No events in this period.</p>
        )}
      </section>
      <section class="card" aria-labelledby="chart-open">
        <h2 id="chart-open">Open events by organisation</h2>
        <p class="hint">Events in state new, in review or confirmed.</p>
        <HorizontalBars
          title="Open events by organisation"
          rows={openRows}
          keys={[{ key: 'open', label: 'Open events', colour: PALETTE[0] }]}
          unit="events"
          rowHeader="Organisation"
          empty="No open events."
        />
      </section>
      {showReports ? (
        <section class="card" aria-labelledby="chart-reports">
          <h2 id="chart-reports">Incident reports by sector and stage</h2>
          <p class="hint">Stage = the last stage submitted.</p>
          <HorizontalBars
            title="Incident reports by sector and stage"
            rows={[...sectorRows.entries()]
              .sort((a, b) => a[0].localeCompare(b[0]))
              .map(([label, values]) => ({ label, values }))}
            keys={STAGE_KEYS}
            unit="reports"
            rowHeader="Sector"
            empty="No incident reports in this period."
          />
        </section>
      ) : null}
      {showReports ? (
        <section class="card dash-wide" aria-labelledby="overdue-title">
          <h2 id="overdue-title">Overdue reports</h2>
          {data.overdue_reports.length ? (
            <div class="table-scroll">
              <table>
                <caption class="visually-hidden">Reports with a stage past its deadline</caption>
                <thead>
                  <tr>
                    <th scope="col">Report</th>
                    <th scope="col">Type</th>
                    <th scope="col">Sector</th>
                    <th scope="col">Stage due</th>
                    <th scope="col">Was due</th>
                  </tr>
                </thead>
                <tbody>
                  {data.overdue_reports.map((r) => (
                    <tr key={r.id}>
                      <td>
                        <a href={`#/reports/${encodeURIComponent(r.id)}`}>{r.id}</a>
                      </td>
                      <td>{reportTypeName(r.type)}</td>
                      <td>{sectorName(r.sector)}</td>
                      <td>{humanize(r.stage_due)}</td>
                      <td>{formatTime(r.due_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p class="empty">No report is overdue.</p>
          )}
        </section>
      ) : null}
    </div>
  );
}

// Charts drawn as plain SVG. Each chart is one image (role="img") with a text summary for screen
// readers, a colour legend that does not rely on colour alone (names beside swatches, a title on
// every bar), and the same numbers as a table below it. Colours are the Okabe–Ito palette, which
// stays distinguishable with the common colour-vision deficiencies. No inline styles: the hub's
// Content-Security-Policy forbids them, and SVG presentation attributes (fill, x, width) are not
// styles.

import type { ComponentChildren, Ref } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';

export const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#F0E442',
  '#000000',
];
export const OTHER_COLOUR = '#8a8f98';

export interface SeriesKey {
  key: string;
  label: string;
  colour: string;
}

/** The pixel width of the chart's box, so the SVG is drawn 1:1 and its text keeps its size. */
function useWidth(initial: number): [Ref<HTMLDivElement>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(initial);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    const update = (w: number) => setWidth(Math.max(280, Math.floor(w)));
    update(el.getBoundingClientRect().width);
    const ro = new ResizeObserver((entries) => update(entries[0].contentRect.width));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width];
}

function niceMax(n: number): number {
  if (n <= 5) return Math.max(n, 1);
  const mag = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= n) return m * mag;
  return 10 * mag;
}

function ticks(max: number): number[] {
  const step = max <= 5 ? 1 : max / 5;
  const out: number[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) out.push(Math.round(v * 100) / 100);
  return out;
}

export function Legend({ keys }: { keys: SeriesKey[] }) {
  return (
    <ul class="legend" aria-label="Legend">
      {keys.map((k) => (
        <li key={k.key}>
          <svg width="12" height="12" aria-hidden="true" focusable="false">
            <rect width="12" height="12" rx="2" fill={k.colour} />
          </svg>
          {k.label}
        </li>
      ))}
    </ul>
  );
}

function DataTable(props: {
  caption: string;
  head: string[];
  rows: (string | number)[][];
  summary?: string;
}) {
  return (
    <details class="chart-table">
      <summary>{props.summary ?? 'Show the numbers as a table'}</summary>
      <div class="table-scroll">
        <table>
          <caption class="visually-hidden">{props.caption}</caption>
          <thead>
            <tr>
              {props.head.map((h, i) => (
                <th key={h} scope="col" class={i > 0 ? 'num' : undefined}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.rows.map((r) => (
              <tr key={String(r[0])}>
                {r.map((c, i) =>
                  i === 0 ? (
                    <th key={i} scope="row">
                      {c}
                    </th>
                  ) : (
                    <td key={i} class="num">
                      {c}
                    </td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

/** Vertical bars over time, stacked by series (events per day by category). */
export function StackedColumns(props: {
  title: string;
  columns: { label: string; full: string; values: Record<string, number> }[];
  keys: SeriesKey[];
  unit: string;
}) {
  const { columns, keys } = props;
  const [box, W] = useWidth(720);
  const H = 220;
  const left = 36;
  const bottom = 22;
  const top = 8;
  const plotW = W - left - 8;
  const plotH = H - top - bottom;
  const totals = columns.map((c) => keys.reduce((s, k) => s + (c.values[k.key] ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const step = plotW / Math.max(columns.length, 1);
  const barW = Math.max(2, step * 0.7);
  const every = Math.ceil(columns.length / Math.max(2, Math.floor(plotW / 64)));
  const total = totals.reduce((a, b) => a + b, 0);
  const busiest = columns.length ? columns[totals.indexOf(Math.max(...totals))] : null;
  const description =
    `${props.title}: ${total} ${props.unit} in ${columns.length} days` +
    (busiest && total
      ? `; the busiest day was ${busiest.full} with ${Math.max(...totals)}.`
      : '.') +
    (keys.length ? ` Series: ${keys.map((k) => k.label).join(', ')}.` : '');
  return (
    <figure class="chart">
      <div ref={box} class="chart-box">
        <svg
          width={W}
          height={H}
          viewBox={`0 0 ${W} ${H}`}
          role="img"
          aria-label={description}
          class="chart-svg"
        >
          {ticks(max).map((t) => {
            const y = top + plotH - (t / max) * plotH;
            return (
              <g key={t}>
                <line x1={left} x2={W - 8} y1={y} y2={y} class="grid" />
                <text x={left - 6} y={y + 4} class="axis" text-anchor="end">
                  {t}
                </text>
              </g>
            );
          })}
          {columns.map((c, i) => {
            let y = top + plotH;
            const x = left + i * step + (step - barW) / 2;
            return (
              <g key={c.full}>
                {keys.map((k) => {
                  const v = c.values[k.key] ?? 0;
                  if (!v) return null;
                  const h = (v / max) * plotH;
                  y -= h;
                  return (
                    <rect key={k.key} x={x} y={y} width={barW} height={h} fill={k.colour}>
                      <title>{`${c.full} — ${k.label}: ${v}`}</title>
                    </rect>
                  );
                })}
                {i % every === 0 ? (
                  <text x={x + barW / 2} y={H - 6} class="axis" text-anchor="middle">
                    {c.label}
                  </text>
                ) : null}
              </g>
            );
          })}
          <line x1={left} x2={W - 8} y1={top + plotH} y2={top + plotH} class="baseline" />
        </svg>
      </div>
      <Legend keys={keys} />
      <DataTable
        caption={props.title}
        head={['Day', ...keys.map((k) => k.label), 'Total']}
        rows={columns
          .map((c, i) => [c.full, ...keys.map((k) => c.values[k.key] ?? 0), totals[i]])
          .filter((r) => Number(r[r.length - 1]) > 0)}
        summary="Show the numbers as a table (days with events)"
      />
    </figure>
  );
}

/** Horizontal bars, optionally stacked (open events per organisation; reports per sector). */
export function HorizontalBars(props: {
  title: string;
  rows: { label: string; values: Record<string, number> }[];
  keys: SeriesKey[];
  unit: string;
  rowHeader: string;
  empty: ComponentChildren;
}) {
  const { rows, keys } = props;
  const [box, W] = useWidth(480);
  if (!rows.length) return <p class="empty">{props.empty}</p>;
  const rowH = 26;
  const labelW = Math.min(210, Math.round(W * 0.36));
  const H = rows.length * rowH + 8;
  const totals = rows.map((r) => keys.reduce((s, k) => s + (r.values[k.key] ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const plotW = W - labelW - 48;
  const description =
    `${props.title}: ` + rows.map((r, i) => `${r.label} ${totals[i]}`).join('; ') + '.';
  const maxChars = Math.max(8, Math.floor(labelW / 7.2));
  const clip = (s: string) => (s.length > maxChars ? `${s.slice(0, maxChars - 1)}…` : s);
  return (
    <figure class="chart">
      <div ref={box} class="chart-box">
        <svg
          width={W}
          height={H}
          viewBox={`0 0 ${W} ${H}`}
          role="img"
          aria-label={description}
          class="chart-svg"
        >
          {rows.map((r, i) => {
            let x = labelW;
            const y = 4 + i * rowH;
            return (
              <g key={r.label}>
                <text x={labelW - 8} y={y + rowH / 2 + 4} class="axis label" text-anchor="end">
                  {clip(r.label)}
                  <title>{r.label}</title>
                </text>
                {keys.map((k) => {
                  const v = r.values[k.key] ?? 0;
                  if (!v) return null;
                  const w = (v / max) * plotW;
                  const rect = (
                    <rect key={k.key} x={x} y={y + 3} width={w} height={rowH - 8} fill={k.colour}>
                      <title>{`${r.label} — ${k.label}: ${v}`}</title>
                    </rect>
                  );
                  x += w;
                  return rect;
                })}
                <text x={x + 6} y={y + rowH / 2 + 4} class="axis value">
                  {totals[i]}
                </text>
              </g>
            );
          })}
        </svg>
      </div>
      {keys.length > 1 ? <Legend keys={keys} /> : null}
      <DataTable
        caption={props.title}
        head={[props.rowHeader, ...(keys.length > 1 ? keys.map((k) => k.label) : []), 'Total']}
        rows={rows.map((r, i) => [
          r.label,
          ...(keys.length > 1 ? keys.map((k) => r.values[k.key] ?? 0) : []),
          totals[i],
        ])}
      />
    </figure>
  );
}

// Small building blocks every page uses: the page title (which takes focus after navigation),
// loading and error states, labelled form fields whose errors are linked with
// aria-describedby, an error summary announced to screen readers, and a modal dialog.

import type { ComponentChildren, Ref } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, type RequestOptions } from '../api';

export function PageTitle({ children, title }: { children: ComponentChildren; title: string }) {
  useEffect(() => {
    document.title = `${title} — mamori hub`;
  }, [title]);
  return (
    <h1 id="page-title" tabIndex={-1}>
      {children}
    </h1>
  );
}

// The "Load more" button of a paged list (components/paged.ts), while there is more to load.
export function LoadMore({
  list,
  label = 'Load more',
}: {
  list: { hasMore: boolean; loading: boolean; loadMore: () => void };
  label?: string;
}) {
  if (!list.hasMore || list.loading) return null;
  return (
    <p>
      <button type="button" class="button-secondary" onClick={list.loadMore}>
        {label}
      </button>
    </p>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p class="loading" role="status">
      {what}…
    </p>
  );
}

/** A message for an API error, in words for people. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.code === 'commission-only' || e.code === 'oversight-commission-only') {
      return 'Only members of the oversight commission can see this.';
    }
    if (e.status === 401)
      return 'Your session has ended. Log in again, then repeat the last action.';
    if (e.status === 403) return `You are not allowed to do this (${e.code}).`;
    if (e.status === 404) return 'Not found, or you are not allowed to see it.';
    if (e.status === 503)
      return 'The hub is busy or its database is unreachable. Try again in a moment.';
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

export function ErrorMessage({
  error,
  title = 'Something went wrong',
}: {
  error: unknown;
  title?: string;
}) {
  return (
    <div class="notice notice-error" role="alert">
      <p class="notice-title">{title}</p>
      <p>{describeError(error)}</p>
    </div>
  );
}

export function NotFound({ what = 'page' }: { what?: string }) {
  return (
    <section aria-labelledby="page-title">
      <PageTitle title="Not found">Not found</PageTitle>
      <p>
        There is no such {what}, or you are not allowed to see it. The hub does not say which: that
        an object exists can itself be sensitive.
      </p>
      <p>
        <a href="#/">Go to the dashboard</a>
      </p>
    </section>
  );
}

export interface ApiState<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** GET `path` (re-fetched when path or query change); null path = do not fetch. */
export function useApi<T>(path: string | null, query?: RequestOptions['query']): ApiState<T> {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({
    data: null,
    error: null,
    loading: path !== null,
  });
  const [nonce, setNonce] = useState(0);
  const key = JSON.stringify([path, query ?? {}]);
  useEffect(() => {
    if (path === null) return undefined;
    const ctrl = new AbortController();
    setState((s) => ({ ...s, loading: true, error: null }));
    api.get<T>(path, query, ctrl.signal).then(
      (data) => setState({ data, error: null, loading: false }),
      (error) => {
        if (!ctrl.signal.aborted) setState({ data: null, error, loading: false });
      },
    );
    return () => ctrl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, nonce]);
  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { ...state, reload };
}

export interface FieldAria {
  id: string;
  'aria-describedby'?: string;
  'aria-invalid'?: 'true';
  required?: boolean;
}

/** A label, an optional hint, an optional error, and the control (given the ARIA to spread). */
export function Field(props: {
  id: string;
  label: ComponentChildren;
  hint?: ComponentChildren;
  error?: string;
  required?: boolean;
  optionalMark?: boolean;
  class?: string;
  children: (aria: FieldAria) => ComponentChildren;
}) {
  const { id, label, hint, error, required } = props;
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div class={`field ${error ? 'has-error' : ''} ${props.class ?? ''}`}>
      <label for={id}>
        {label}
        {required ? <span class="required-mark"> (required)</span> : null}
      </label>
      {hint ? (
        <p id={`${id}-hint`} class="hint">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} class="field-error">
          <span class="visually-hidden">Error: </span>
          {error}
        </p>
      ) : null}
      {props.children({
        id,
        'aria-describedby': describedBy || undefined,
        'aria-invalid': error ? 'true' : undefined,
        required: required || undefined,
      })}
    </div>
  );
}

/** A group of radios or checkboxes: fieldset + legend, errors linked to the fieldset. */
export function FieldGroup(props: {
  id: string;
  legend: ComponentChildren;
  hint?: ComponentChildren;
  error?: string;
  required?: boolean;
  inline?: boolean;
  children: ComponentChildren;
}) {
  const { id, legend, hint, error, required } = props;
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : '']
    .filter(Boolean)
    .join(' ');
  return (
    <fieldset
      id={id}
      tabIndex={-1}
      class={`field group ${error ? 'has-error' : ''} ${props.inline ? 'inline' : ''}`}
      aria-describedby={describedBy || undefined}
      aria-invalid={error ? 'true' : undefined}
    >
      <legend>
        {legend}
        {required ? <span class="required-mark"> (required)</span> : null}
      </legend>
      {hint ? (
        <p id={`${id}-hint`} class="hint">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} class="field-error">
          <span class="visually-hidden">Error: </span>
          {error}
        </p>
      ) : null}
      <div class="choices">{props.children}</div>
    </fieldset>
  );
}

export interface SummaryItem {
  /** The id of the control to focus, or null for problems without one. */
  target: string | null;
  text: string;
}

/** The list of problems above a form; announced (role=alert) and focused when it appears. */
export function ErrorSummary({
  items,
  title = 'There is a problem',
  onSelect,
}: {
  items: SummaryItem[];
  title?: string;
  /** Go to the problem's control (default: focus the element with id `target`). */
  onSelect?: (target: string) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const key = items.map((i) => `${i.target}:${i.text}`).join('|');
  useEffect(() => {
    if (items.length) ref.current?.focus();
  }, [key]);
  if (!items.length) return null;
  return (
    <div
      class="notice notice-error error-summary"
      role="alert"
      tabIndex={-1}
      ref={ref}
      aria-labelledby="error-summary-title"
    >
      <p class="notice-title" id="error-summary-title">
        {title}
      </p>
      <ul>
        {items.map((item) => (
          <li key={`${item.target}:${item.text}`}>
            {item.target ? (
              <a
                href={`#${item.target}`}
                onClick={(e) => {
                  e.preventDefault();
                  if (onSelect) return onSelect(item.target!);
                  const el = document.getElementById(item.target!);
                  el?.focus();
                  el?.scrollIntoView({ block: 'center' });
                }}
              >
                {item.text}
              </a>
            ) : (
              item.text
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** A modal dialog (native <dialog>: focus stays inside, Escape closes it). */
export function Dialog(props: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  id?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<Element | null>(null);
  const titleId = `${props.id ?? 'dialog'}-title`;
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) {
      opener.current = document.activeElement;
      d.showModal();
    } else if (!props.open && d.open) {
      d.close();
    }
  }, [props.open]);
  return (
    <dialog
      ref={ref as Ref<HTMLDialogElement>}
      id={props.id}
      aria-labelledby={titleId}
      onClose={() => {
        props.onClose();
        const o = opener.current as HTMLElement | null;
        if (o && document.contains(o)) o.focus();
      }}
    >
      {props.open ? (
        <>
          <div class="dialog-head">
            <h2 id={titleId}>{props.title}</h2>
            <button
              type="button"
              class="button-quiet"
              aria-label="Close dialog"
              onClick={() => ref.current?.close()}
            >
              ×
            </button>
          </div>
          {props.children}
        </>
      ) : null}
    </dialog>
  );
}

export function Badge({ kind, children }: { kind: string; children: ComponentChildren }) {
  return <span class={`badge badge-${kind}`}>{children}</span>;
}

export function StatePill({ state }: { state: string }) {
  return <span class={`pill pill-${state}`}>{state}</span>;
}

export function Tlp({ label }: { label: string }) {
  const cls = label.toLowerCase().replace('+', '-');
  return <span class={`tlp tlp-${cls}`}>TLP:{label}</span>;
}

// A message for the next page (e.g. "Initial report submitted" on the report's page).
let flash: string | null = null;

export function setFlash(message: string): void {
  flash = message;
}

export function takeFlash(): string | null {
  const m = flash;
  flash = null;
  return m;
}

export function Flash() {
  const [message] = useState(takeFlash);
  if (!message) return null;
  return (
    <div class="notice notice-success" role="status">
      <p>{message}</p>
    </div>
  );
}

// The hub's JSON API (docs/openapi.yaml) as the console uses it: cookie session, CSRF header on
// every write, errors as ApiError, and one place that notices an ended session.

export interface FieldProblem {
  field: string;
  problem: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }

  /** The [{field, problem}] list of a `validation-failed` error, else empty. */
  fieldProblems(): FieldProblem[] {
    if (!Array.isArray(this.details)) return [];
    return this.details.filter(
      (d): d is FieldProblem =>
        typeof d === 'object' &&
        d !== null &&
        typeof d.field === 'string' &&
        typeof d.problem === 'string',
    );
  }
}

let csrfToken: string | null = null;
let onSessionEnded: (code: string) => void = () => {};

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called on any 401 from a route other than the login itself. */
export function setSessionEndedHandler(handler: (code: string) => void): void {
  onSessionEnded = handler;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined | null>;
  /** Do not treat 401 as an ended session (the login form's own call). */
  allowUnauthenticated?: boolean;
  signal?: AbortSignal;
}

export function apiPath(path: string, query?: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const qs = params.toString();
  return `/api/v1${path}${qs ? `?${qs}` : ''}`;
}

export async function request<T>(
  method: Method,
  path: string,
  opts: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(apiPath(path, opts.query), {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal: opts.signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(
      0,
      'network-error',
      'The hub could not be reached. Check the connection and try again.',
      null,
    );
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (res.ok) return parsed as T;
  const err = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | null)
    ?.error;
  const retry = Number(res.headers.get('Retry-After'));
  const apiError = new ApiError(
    res.status,
    err?.code ?? `http-${res.status}`,
    err?.message ?? `The hub answered ${res.status} ${res.statusText}.`,
    err?.details ?? null,
    Number.isFinite(retry) && retry > 0 ? retry : null,
  );
  if (res.status === 401 && !opts.allowUnauthenticated) onSessionEnded(apiError.code);
  throw apiError;
}

export const api = {
  get: <T>(path: string, query?: RequestOptions['query'], signal?: AbortSignal) =>
    request<T>('GET', path, { query, signal }),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body: body ?? {} }),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, { body }),
  del: <T>(path: string) => request<T>('DELETE', path),
};

// ---- Types of the API's bodies (the parts the console reads) ----

export type OrgType =
  | 'centre'
  | 'ministry'
  | 'government-body'
  | 'agency'
  | 'operator'
  | 'vendor'
  | 'ceptoar'
  | 'commission'
  | 'police';
export type Role = 'viewer' | 'analyst' | 'admin';
export type Stage = 'initial' | 'interim' | 'final';
export type EventState = 'new' | 'in-review' | 'confirmed' | 'notified' | 'closed' | 'noise';

export interface SessionInfo {
  user: { id: string; name: string; role: Role; clearance: number };
  organisation: { id: string; name: string; type: OrgType };
  csrf_token: string;
  expires_at?: string;
}

export interface Organisation {
  id: string;
  name: string;
  type: OrgType;
  sector: string | null;
  ministry: string | null;
}

export interface OrgUser {
  id: string;
  name: string;
  role: Role;
  clearance: number;
  /** Has a password (in an organisation's user list). */
  console_login?: boolean;
}

export interface OrganisationDetail extends Organisation {
  prefixes?: string[];
  domains?: string[];
  users?: OrgUser[];
}

export interface HubEvent {
  id: string;
  kind: 'detect' | 'select';
  category: string;
  severity: string | null;
  target_organisation: string | null;
  state: EventState;
  first_seen: string | null;
  received_at: string;
  tlp: string;
  sensitivity: number;
  record: Record<string, unknown> | null;
}

export interface TransitionRecord {
  from: EventState;
  to: EventState;
  user: string;
  at: string;
  reason: string;
}

export interface EventDetail extends HubEvent {
  history: TransitionRecord[];
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Notification {
  id: string;
  event: string;
  created_at: string;
  tlp: string;
  content: { event?: string; category?: string; severity?: string | null; message?: string } | null;
}

export interface StageDeadline {
  stage: Stage;
  due_at: string;
  submitted_at: string | null;
  satisfied_by: Stage | null;
  overdue: boolean;
}

export interface StageStatus {
  next_due: Stage | null;
  overdue_now: boolean;
  stages: StageDeadline[];
}

export interface ReportSummary {
  id: string;
  type: string;
  sector: string | null;
  reporter: { id: string; name: string };
  stage: Stage | null;
  discovered_at: string | null;
  tlp: string;
  sensitivity: number;
  police_included: boolean;
  created_at: string;
  updated_at: string;
  status: StageStatus | null;
  has_draft?: boolean;
}

export interface Submission {
  seq: number;
  stage: Stage;
  submitted_at: string;
  user: { id: string; name: string | null };
  correction: boolean;
}

export type Doc = Record<string, unknown>;

export interface Report extends ReportSummary {
  document: Doc | null;
  recipients: string[];
  timeline: Submission[];
  draft?: Doc | null;
}

export interface Dashboard {
  events_by_day: { day: string; category: string; count: number }[];
  open_events_by_organisation: {
    organisation: { id: string; name: string } | null;
    count: number;
  }[];
  reports_by_sector_stage: { sector: string | null; stage: string; count: number }[];
  overdue_reports: {
    id: string;
    type: string;
    sector: string | null;
    stage_due: string;
    due_at: string;
  }[];
}

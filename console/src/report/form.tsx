// The incident report form: type and stage, the shared core in four steps, the type-specific
// part, then a review. "Next" checks the step for the chosen stage; "Save draft" stores the work
// on the hub (POST /reports {type, draft}, then PUT /reports/{id}/draft); "Submit" files the stage
// (POST /reports, or POST /reports/{id}/submissions). The hub's validation errors (400
// validation-failed, [{field, problem}] with JSON paths) are put beside their fields.

import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, type Report } from '../api';
import { REPORT_TYPES, formatTime, reportTypeName, stageName } from '../format';
import { navigate } from '../router';
import { can, useSession } from '../session';
import { DocView } from '../pages/reports';
import {
  ErrorMessage,
  ErrorSummary,
  Field,
  FieldGroup,
  Loading,
  NotFound,
  PageTitle,
  describeError,
  setFlash,
  type SummaryItem,
} from '../components/ui';
import {
  CORE,
  PARTS,
  STAGE_ORDER,
  STEPS,
  inputId,
  partKey,
  stepOfPath,
  type Def,
  type ScalarDef,
  type Stage,
} from './schema';
import {
  describePath,
  fromDocument,
  getIn,
  isRequired,
  pathString,
  setIn,
  toDocument,
  type Errors,
  type Raw,
} from './model';

type Path = (string | number)[];

interface FormCtx {
  values: Raw;
  stage: Stage;
  errors: Errors;
  set: (path: Path, v: unknown) => void;
}

function valueLabel(def: ScalarDef, v: string): string {
  const l = def.valueLabels?.[v];
  if (l) return l;
  const s = v.replace(/-/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function ScalarInput({
  def,
  path,
  ctx,
  required,
}: {
  def: ScalarDef;
  path: Path;
  ctx: FormCtx;
  required: boolean;
}) {
  const p = pathString(path);
  const id = inputId(p);
  const raw = getIn(ctx.values, path);
  const value = typeof raw === 'string' ? raw : '';
  const error = ctx.errors.get(p);
  const onInput = (e: Event) => ctx.set(path, (e.currentTarget as HTMLInputElement).value);

  if (def.kind === 'bool') {
    return (
      <FieldGroup
        id={id}
        legend={def.label}
        hint={def.hint}
        error={error}
        required={required}
        inline
      >
        {['true', 'false'].map((v) => (
          <label key={v} class="choice">
            <input
              type="radio"
              name={id}
              id={`${id}-${v}`}
              value={v}
              checked={value === v}
              onChange={() => ctx.set(path, v)}
            />
            {v === 'true' ? 'Yes' : 'No'}
          </label>
        ))}
      </FieldGroup>
    );
  }
  if (def.kind === 'enumList') {
    const list = Array.isArray(raw) ? (raw as string[]) : [];
    return (
      <FieldGroup id={id} legend={def.label} hint={def.hint} error={error} required={required}>
        {(def.values ?? []).map((v) => (
          <label key={v} class="choice">
            <input
              type="checkbox"
              id={`${id}-${v}`}
              value={v}
              checked={list.includes(v)}
              onChange={(e) =>
                ctx.set(path, e.currentTarget.checked ? [...list, v] : list.filter((x) => x !== v))
              }
            />
            {valueLabel(def, v)}
          </label>
        ))}
      </FieldGroup>
    );
  }
  return (
    <Field
      id={id}
      label={def.label}
      hint={def.hint}
      error={error}
      required={required}
      class={def.wide ? 'wide' : undefined}
    >
      {(aria) => {
        switch (def.kind) {
          case 'text':
            return <textarea {...aria} rows={def.wide ? 5 : 3} value={value} onInput={onInput} />;
          case 'enum':
            return (
              <select {...aria} value={value} onChange={onInput}>
                <option value="">Choose…</option>
                {(def.values ?? []).map((v) => (
                  <option key={v} value={v}>
                    {valueLabel(def, v)}
                  </option>
                ))}
              </select>
            );
          case 'time':
            return <input {...aria} type="datetime-local" value={value} onInput={onInput} />;
          case 'email':
            return (
              <input {...aria} type="email" autocomplete="email" value={value} onInput={onInput} />
            );
          case 'phone':
            return (
              <input {...aria} type="tel" autocomplete="tel" value={value} onInput={onInput} />
            );
          case 'url':
            return <input {...aria} type="url" value={value} onInput={onInput} class="mono" />;
          case 'int':
          case 'count':
            return (
              <input {...aria} inputMode="numeric" class="narrow" value={value} onInput={onInput} />
            );
          case 'number':
            return (
              <input {...aria} inputMode="decimal" class="narrow" value={value} onInput={onInput} />
            );
          case 'sha256':
            return (
              <input {...aria} class="mono" spellcheck={false} value={value} onInput={onInput} />
            );
          case 'currency':
            return (
              <input
                {...aria}
                class="narrow"
                autocapitalize="characters"
                value={value}
                onInput={onInput}
              />
            );
          default:
            return <input {...aria} value={value} onInput={onInput} />;
        }
      }}
    </Field>
  );
}

function ListInput({
  def,
  path,
  ctx,
  required,
}: {
  def: Extract<Def, { kind: 'list' }>;
  path: Path;
  ctx: FormCtx;
  required: boolean;
}) {
  const p = pathString(path);
  const id = inputId(p);
  const items = (getIn(ctx.values, path) as unknown[] | undefined) ?? [];
  const error = ctx.errors.get(p);
  const focusAfter = useRef<string | null>(null);
  useEffect(() => {
    if (focusAfter.current) {
      document.getElementById(focusAfter.current)?.focus();
      focusAfter.current = null;
    }
  });
  const itemWord = def.itemLabel.toLowerCase();
  const firstInputOf = (i: number) =>
    Array.isArray(def.item)
      ? inputId(pathString([...path, i, def.item[0].key]))
      : inputId(pathString([...path, i]));
  return (
    <FieldGroup id={id} legend={def.label} hint={def.hint} error={error} required={required}>
      {items.length ? (
        <ol class="list-items">
          {items.map((_, i) => (
            <li key={i} class="list-item">
              <div class="list-item-head">
                <span class="list-item-title">
                  {def.itemLabel} {i + 1}
                </span>
                <button
                  type="button"
                  class="button-quiet"
                  onClick={() => {
                    ctx.set(
                      path,
                      items.filter((__, j) => j !== i),
                    );
                    focusAfter.current =
                      items.length > 1 ? firstInputOf(Math.max(0, i - 1)) : `${id}-add`;
                  }}
                >
                  Remove {itemWord} {i + 1}
                </button>
              </div>
              {Array.isArray(def.item) ? (
                <div class="field-grid">
                  {def.item.map((f) => (
                    <DefInput
                      key={f.key}
                      def={f}
                      path={[...path, i, f.key]}
                      ctx={ctx}
                      parentRequired
                    />
                  ))}
                </div>
              ) : (
                <ScalarInput
                  def={{ ...def.item, label: `${def.itemLabel} ${i + 1}` }}
                  path={[...path, i]}
                  ctx={ctx}
                  required
                />
              )}
            </li>
          ))}
        </ol>
      ) : (
        <p class="muted">
          {required ? `None yet. Leave it empty to report no ${itemWord}s.` : `None.`}
        </p>
      )}
      {items.length < def.max ? (
        <button
          type="button"
          id={`${id}-add`}
          class="button-secondary"
          onClick={() => {
            ctx.set(path, [...items, Array.isArray(def.item) ? {} : '']);
            focusAfter.current = firstInputOf(items.length);
          }}
        >
          Add {itemWord}
        </button>
      ) : null}
    </FieldGroup>
  );
}

function DefInput({
  def,
  path,
  ctx,
  parentRequired,
}: {
  def: Def;
  path: Path;
  ctx: FormCtx;
  parentRequired: boolean;
}) {
  const required = parentRequired && isRequired(def.req, ctx.stage);
  if (def.kind === 'object') {
    const p = pathString(path);
    if (def.flat) {
      const error = ctx.errors.get(p);
      return (
        <div id={inputId(p)} tabIndex={-1} class="flat-group">
          {error ? (
            <p class="field-error">
              <span class="visually-hidden">Error: </span>
              {error}
            </p>
          ) : null}
          {def.fields.map((f) => (
            <DefInput
              key={f.key}
              def={f}
              path={[...path, f.key]}
              ctx={ctx}
              parentRequired={required}
            />
          ))}
        </div>
      );
    }
    return (
      <FieldGroup id={inputId(p)} legend={def.label} hint={def.hint} error={ctx.errors.get(p)}>
        <div class="field-grid">
          {def.fields.map((f) => (
            <DefInput
              key={f.key}
              def={f}
              path={[...path, f.key]}
              ctx={ctx}
              parentRequired={required}
            />
          ))}
        </div>
      </FieldGroup>
    );
  }
  if (def.kind === 'list') return <ListInput def={def} path={path} ctx={ctx} required={required} />;
  return <ScalarInput def={def} path={path} ctx={ctx} required={required} />;
}

function nextStage(s: Stage | null): Stage {
  if (!s) return 'initial';
  return STAGE_ORDER[Math.min(STAGE_ORDER.indexOf(s) + 1, 2)];
}

function allowedStages(report: Report | null): Stage[] {
  if (!report || !report.stage) return STAGE_ORDER;
  const i = STAGE_ORDER.indexOf(report.stage);
  return STAGE_ORDER.slice(i, Math.min(i + 2, 3));
}

const STAGE_HELP: Record<Stage, string> = {
  initial:
    'The first notice (速報), due 24 hours after discovery: type, sector, who to call back, when it was discovered, impact level, what happened.',
  interim:
    'Due after 72 hours: adds when it began, the systems affected, how the attacker got in, indicators.',
  final: 'Due after 30 days: everything, including the type-specific details, contacts and police.',
};

export function ReportFormPage(props: { reportId: string | null; initialType: string | null }) {
  const session = useSession();
  const [reportId, setReportId] = useState<string | null>(props.reportId);
  const [report, setReport] = useState<Report | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [loading, setLoading] = useState(props.reportId !== null);
  const [values, setValues] = useState<Raw>(() =>
    props.initialType && REPORT_TYPES[props.initialType] ? { type: props.initialType } : {},
  );
  const [stage, setStage] = useState<Stage>('initial');
  const [step, setStep] = useState(0);
  const [errors, setErrors] = useState<Errors>(new Map());
  const [unplaced, setUnplaced] = useState<string[]>([]);
  const [summaryTitle, setSummaryTitle] = useState('There is a problem');
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState<'draft' | 'submit' | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const pendingFocus = useRef<string | null>(null);

  // A new report, or another report's continuation: start again. Our own first draft (the URL
  // moved from /reports/new to /reports/ID/edit) keeps the form as it is.
  useEffect(() => {
    if (props.reportId !== null && props.reportId === reportId && report) return;
    setErrors(new Map());
    setUnplaced([]);
    setStatus('');
    setFailure(null);
    setStep(0);
    if (props.reportId === null) {
      setReportId(null);
      setReport(null);
      setLoading(false);
      setValues(
        props.initialType && REPORT_TYPES[props.initialType] ? { type: props.initialType } : {},
      );
      setStage('initial');
      return;
    }
    setReportId(props.reportId);
    setLoading(true);
    setLoadError(null);
    api.get<Report>(`/reports/${encodeURIComponent(props.reportId)}`).then(
      (r) => {
        setReport(r);
        const v = fromDocument(r.draft ?? r.document);
        v.type = r.type;
        setValues(v);
        setStage(nextStage(r.stage));
        setLoading(false);
      },
      (e) => {
        setLoadError(e);
        setLoading(false);
      },
    );
  }, [props.reportId]);

  useEffect(() => {
    if (!pendingFocus.current) return;
    const id = pendingFocus.current;
    pendingFocus.current = null;
    focusField(id);
  });

  if (loading) return <Loading what="Loading the report" />;
  if (loadError instanceof ApiError && loadError.status === 404) return <NotFound what="report" />;
  if (loadError) return <ErrorMessage error={loadError} title="The report could not be loaded" />;
  if (!can.fileReports(session) || (report && report.reporter.id !== session.organisation.id)) {
    return (
      <section aria-labelledby="page-title">
        <PageTitle title="File a report">File an incident report</PageTitle>
        <div class="notice notice-info">
          <p>
            Analysts and admins of the reporting organisation file and continue its incident
            reports.
          </p>
        </div>
      </section>
    );
  }

  const type = typeof values.type === 'string' ? values.type : '';
  const part = type ? PARTS[partKey(type)] : undefined;
  const stages = allowedStages(report);
  const current = STEPS[step];

  const set = (path: Path, v: unknown) => {
    setValues((old) => setIn(old, path, v) as Raw);
    const p = pathString(path);
    if (errors.has(p)) {
      const next = new Map(errors);
      next.delete(p);
      setErrors(next);
    }
  };
  const ctx: FormCtx = { values, stage, errors, set };

  function focusField(path: string) {
    // The control for the path, else the group of its nearest parent that is on the page.
    let p = path;
    for (;;) {
      const el =
        document.getElementById(inputId(p)) ??
        (p === 'type' ? document.getElementById('f-type') : null);
      if (el) {
        el.focus();
        if (document.activeElement !== el) {
          // A group without a box of its own: its first control.
          el.querySelector<HTMLElement>('input, select, textarea, button')?.focus();
        }
        (document.activeElement ?? el).scrollIntoView({ block: 'center' });
        return;
      }
      const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
      if (cut <= 0) break;
      p = p.slice(0, cut);
    }
    document.getElementById('error-summary-title')?.parentElement?.focus();
  }

  function goToStep(i: number, focus?: string) {
    setStep(i);
    pendingFocus.current = focus ?? null;
    if (!focus) {
      window.setTimeout(() => document.getElementById('step-title')?.focus(), 0);
    }
  }

  function showErrors(all: Errors, only: string | null, title: string, extra: string[] = []) {
    const shown = new Map([...all].filter(([p]) => only === null || stepOfPath(p) === only));
    setErrors(shown);
    setUnplaced(extra);
    setSummaryTitle(title);
    return shown;
  }

  function stepErrorCount(stepId: string): number {
    let n = 0;
    for (const p of errors.keys()) if (stepOfPath(p) === stepId) n++;
    return n;
  }

  function next() {
    const { errors: all } = toDocument(values, stage);
    const shown = showErrors(all, current.id, `Before you go on (${stage} stage)`);
    if (shown.size) return;
    setStatus('');
    goToStep(step + 1);
  }

  async function saveDraft() {
    setFailure(null);
    const { doc, errors: all } = toDocument(values, 'draft');
    if (all.size) {
      showErrors(all, null, 'The draft could not be saved');
      const first = [...all.keys()][0];
      const s = STEPS.findIndex((x) => x.id === stepOfPath(first));
      if (s >= 0 && s !== step) goToStep(s);
      return;
    }
    setBusy('draft');
    try {
      let r: Report;
      if (!reportId) {
        r = await api.post<Report>('/reports', { type, draft: doc });
        setReportId(r.id);
        setReport(r);
        navigate(`/reports/${encodeURIComponent(r.id)}/edit`, undefined, true, true);
      } else {
        r = await api.put<Report>(`/reports/${encodeURIComponent(reportId)}/draft`, doc);
        setReport(r);
      }
      setErrors(new Map());
      setUnplaced([]);
      setStatus(`Draft saved at ${formatTime(r.updated_at)}. Only your organisation can see it.`);
    } catch (e) {
      handleServerError(e, 'The draft could not be saved');
    } finally {
      setBusy(null);
    }
  }

  function handleServerError(e: unknown, title: string) {
    if (e instanceof ApiError && e.code === 'validation-failed') {
      const all: Errors = new Map();
      const extra: string[] = [];
      for (const { field, problem } of e.fieldProblems()) {
        const text = problem.charAt(0).toUpperCase() + problem.slice(1);
        if (field && stepOfPath(field) !== null) {
          if (!all.has(field)) all.set(field, text);
        } else {
          extra.push(field ? `${field}: ${problem}` : text);
        }
      }
      showErrors(
        all,
        null,
        `${title}: the hub found ${all.size + extra.length === 1 ? 'a problem' : `${all.size + extra.length} problems`}`,
        extra,
      );
      const first = [...all.keys()][0];
      if (first) {
        const s = STEPS.findIndex((x) => x.id === stepOfPath(first));
        if (s >= 0 && s !== step) setStep(s);
      }
      return;
    }
    if (e instanceof ApiError && e.code === 'illegal-stage') {
      setFailure(`${e.message}. Choose another stage.`);
      return;
    }
    setFailure(describeError(e));
  }

  async function submit() {
    setFailure(null);
    const { doc, errors: all } = toDocument(values, stage);
    if (all.size) {
      showErrors(all, null, `The ${stage} report is not complete yet`);
      return;
    }
    setBusy('submit');
    try {
      const r = reportId
        ? await api.post<Report>(`/reports/${encodeURIComponent(reportId)}/submissions`, {
            stage,
            document: doc,
          })
        : await api.post<Report>('/reports', { type, stage, document: doc });
      setFlash(
        `${stageName(stage)} report submitted. It reaches your ministry and the centre${r.police_included ? ', and the police' : ''}.`,
      );
      navigate(`/reports/${encodeURIComponent(r.id)}`);
    } catch (e) {
      handleServerError(e, `The ${stage} report was not accepted`);
    } finally {
      setBusy(null);
    }
  }

  // The summary lists this step's problems (all of them on the review step); the step list
  // shows how many each other step has.
  const stepIndex = (p: string) => STEPS.findIndex((x) => x.id === stepOfPath(p));
  const here = [...errors]
    .filter(([p]) => current.id === 'review' || stepOfPath(p) === current.id)
    .sort((a, b) => stepIndex(a[0]) - stepIndex(b[0]));
  const elsewhere = STEPS.filter(
    (s) => s.id !== current.id && current.id !== 'review' && stepErrorCount(s.id) > 0,
  );
  const summaryItems: SummaryItem[] = [
    ...here.map(([p, m]) => ({ target: p, text: `${describePath(p)} — ${m}` })),
    ...unplaced.map((m) => ({ target: null, text: m })),
    ...(here.length || unplaced.length
      ? elsewhere.map((s) => ({
          target: `step:${s.id}`,
          text: `${s.title}: ${stepErrorCount(s.id)} more`,
        }))
      : []),
  ];

  const title = report
    ? `${reportTypeName(report.type)} report ${report.id}`
    : 'File an incident report';

  let body: ComponentChildren;
  if (current.id === 'type') {
    body = (
      <>
        {report ? (
          <p>
            Type: <strong>{reportTypeName(report.type)}</strong> (a report keeps its type). Last
            submitted stage: <strong>{stageName(report.stage)}</strong>.
          </p>
        ) : (
          <FieldGroup id="f-type" legend="Type of incident" error={errors.get('type')} required>
            {Object.entries(REPORT_TYPES).map(([k, v]) => (
              <label key={k} class="choice">
                <input
                  type="radio"
                  name="report-type"
                  id={`f-type-${k}`}
                  value={k}
                  checked={type === k}
                  onChange={() => set(['type'], k)}
                />
                {v}
              </label>
            ))}
          </FieldGroup>
        )}
        <StagePicker stages={stages} stage={stage} setStage={setStage} report={report} />
      </>
    );
  } else if (current.id === 'part') {
    body = part ? (
      <div class="field-grid">
        <DefInput def={part} path={[part.key]} ctx={ctx} parentRequired />
      </div>
    ) : (
      <p>
        Choose the type of incident first.{' '}
        <button type="button" class="button-link" onClick={() => goToStep(0)}>
          Go to “Type and stage”
        </button>
      </p>
    );
  } else if (current.id === 'review') {
    const preview = toDocument(values, 'draft').doc;
    body = (
      <>
        <StagePicker stages={stages} stage={stage} setStage={setStage} report={report} />
        <h3>What you are about to submit</h3>
        <DocView doc={preview} />
      </>
    );
  } else {
    body = (
      <div class="field-grid">
        {current.keys.map((k) => (
          <DefInput key={k} def={CORE[k]} path={[k]} ctx={ctx} parentRequired />
        ))}
      </div>
    );
  }

  return (
    <section aria-labelledby="page-title" class="report-form">
      {report ? (
        <p class="breadcrumb">
          <a href="#/reports">Incident reports</a> /{' '}
          <a href={`#/reports/${encodeURIComponent(report.id)}`}>{report.id}</a> / continue
        </p>
      ) : null}
      <PageTitle title={title}>{report ? `Continue: ${title}` : title}</PageTitle>
      <p class="lead">
        Submitting: <strong>{stageName(stage)}</strong> report
        {type ? ` · ${reportTypeName(type)}` : ''}
        {reportId ? (
          <>
            {' '}
            · <span class="mono">{reportId}</span>
          </>
        ) : null}
      </p>
      <div class="form-layout">
        <nav class="steps" aria-label="Form steps">
          <ol>
            {STEPS.map((s, i) => {
              const n = stepErrorCount(s.id);
              return (
                <li key={s.id}>
                  <button
                    type="button"
                    class={`step ${i === step ? 'current' : ''} ${n ? 'has-errors' : ''}`}
                    aria-current={i === step ? 'step' : undefined}
                    onClick={() => goToStep(i)}
                  >
                    <span class="step-number" aria-hidden="true">
                      {i + 1}
                    </span>
                    <span>
                      {s.id === 'part' && part ? `${part.label} details` : s.title}
                      {n ? (
                        <span class="step-errors">
                          {' '}
                          ({n} {n === 1 ? 'problem' : 'problems'})
                        </span>
                      ) : null}
                    </span>
                  </button>
                </li>
              );
            })}
          </ol>
        </nav>
        <form
          class="step-body"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            if (current.id === 'review') void submit();
            else next();
          }}
        >
          <ErrorSummary
            items={summaryItems}
            title={summaryTitle}
            onSelect={(p) => {
              if (p.startsWith('step:'))
                return goToStep(STEPS.findIndex((x) => `step:${x.id}` === p));
              const s = STEPS.findIndex((x) => x.id === stepOfPath(p));
              if (s >= 0 && s !== step) goToStep(s, p);
              else focusField(p);
            }}
          />
          {failure ? (
            <div class="notice notice-error" role="alert">
              <p>{failure}</p>
            </div>
          ) : null}
          <h2 id="step-title" tabIndex={-1}>
            Step {step + 1} of {STEPS.length}:{' '}
            {current.id === 'part' && part ? `${part.label} details` : current.title}
          </h2>
          {body}
          <p class="status-line" role="status" aria-live="polite">
            {status}
          </p>
          <div class="button-row form-actions">
            {step > 0 ? (
              <button type="button" class="button-secondary" onClick={() => goToStep(step - 1)}>
                Back
              </button>
            ) : null}
            <button
              type="button"
              class="button-secondary"
              disabled={busy !== null}
              onClick={() => void saveDraft()}
            >
              {busy === 'draft' ? 'Saving…' : 'Save draft'}
            </button>
            {current.id === 'review' ? (
              <button type="submit" class="button-primary" disabled={busy !== null}>
                {busy === 'submit' ? 'Submitting…' : `Submit ${stage} report`}
              </button>
            ) : (
              <button type="submit" class="button-primary">
                Next:{' '}
                {STEPS[step + 1].id === 'part' && part
                  ? `${part.label} details`
                  : STEPS[step + 1].title}
              </button>
            )}
          </div>
        </form>
      </div>
    </section>
  );
}

function StagePicker(props: {
  stages: Stage[];
  stage: Stage;
  setStage: (s: Stage) => void;
  report: Report | null;
}) {
  return (
    <FieldGroup
      id="f-stage"
      legend="Stage you are submitting"
      hint={
        props.report?.stage
          ? 'The same stage again is a correction; or the next stage.'
          : 'A first submission may be any stage.'
      }
    >
      {props.stages.map((s) => (
        <label key={s} class="choice choice-block">
          <input
            type="radio"
            name="report-stage"
            id={`f-stage-${s}`}
            value={s}
            checked={props.stage === s}
            onChange={() => props.setStage(s)}
          />
          <span>
            <strong>
              {stageName(s)}
              {props.report?.stage === s ? ' (correction)' : ''}
            </strong>
            <span class="hint">{STAGE_HELP[s]}</span>
          </span>
        </label>
      ))}
    </FieldGroup>
  );
}

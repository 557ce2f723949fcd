// The form's values (strings as typed, "true"/"false" for yes/no, arrays for lists) and the
// report document the hub takes, in both directions, with the simple client-side checks.

import type { Doc } from '../api';
import { fromLocalInput, toLocalInput } from '../format';
import {
  CORE,
  defFor,
  PARTS,
  STAGE_ORDER,
  partKey,
  type Def,
  type ScalarDef,
  type Stage,
} from './schema';

export type Raw = Record<string, unknown>;
/** A stage to submit, or a draft (nothing required). */
export type Mode = Stage | 'draft';
export type Errors = Map<string, string>;

const MAX_INT = 1e15;
const CLOCK_SKEW_MS = 5 * 60 * 1000;

export function isRequired(req: Stage | undefined, mode: Mode): boolean {
  if (!req || mode === 'draft') return false;
  return STAGE_ORDER.indexOf(req) <= STAGE_ORDER.indexOf(mode);
}

export function isBlank(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === 'string') return v.trim() === '';
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v as Raw).every(isBlank);
  return false;
}

export function pathJoin(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}

const bytes = (s: string) => new TextEncoder().encode(s).length;

function requiredMessage(def: ScalarDef, mode: Mode): string {
  if (def.missing) return def.missing;
  return mode === 'draft' ? 'Required' : `Required for the ${mode} stage`;
}

function scalar(
  def: ScalarDef,
  raw: unknown,
  path: string,
  mode: Mode,
  errors: Errors,
  required: boolean,
): unknown {
  const fail = (m: string) => {
    errors.set(path, m);
    return undefined;
  };
  if (def.kind === 'enumList') {
    const list = Array.isArray(raw) ? raw.map(String) : [];
    if (!list.length) {
      if (required) fail(requiredMessage(def, mode));
      return required ? [] : undefined;
    }
    return list;
  }
  const s =
    typeof raw === 'string' ? raw.trim() : raw === undefined || raw === null ? '' : String(raw);
  if (s === '') {
    if (required) fail(requiredMessage(def, mode));
    return undefined;
  }
  if (def.max && bytes(s) > def.max)
    return fail(`Use at most ${def.max} bytes (this is ${bytes(s)})`);
  switch (def.kind) {
    case 'string':
    case 'text':
      return s;
    case 'email':
      return /^[^\s@]{1,64}@[^\s@]+\.[^\s@.]+$/.test(s)
        ? s
        : fail('Enter an email address such as soc@hospital.example');
    case 'phone':
      return /^\+?[0-9 ().-]+$/.test(s) && (s.match(/\d/g)?.length ?? 0) >= 4
        ? s
        : fail('Enter a phone number: digits, spaces, - . ( ) and a leading +');
    case 'url':
      return /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/]+\S*$/.test(s)
        ? s
        : fail('Enter a URL such as https://example.org/path');
    case 'sha256':
      return /^[0-9a-fA-F]{64}$/.test(s) ? s.toLowerCase() : fail('Enter 64 hexadecimal digits');
    case 'currency':
      return /^[A-Za-z0-9]{3,5}$/.test(s)
        ? s.toUpperCase()
        : fail('Enter a currency code of 3 to 5 letters or digits (JPY, BTC)');
    case 'int':
    case 'count': {
      if (!/^\d+$/.test(s)) return fail('Enter a whole number');
      const n = Number(s);
      if (n > MAX_INT) return fail('Enter a number up to 10^15');
      if (def.kind === 'count' && n < 1) return fail('Enter 1 or more');
      return n;
    }
    case 'number': {
      const n = Number(s);
      if (!/^\d+(\.\d+)?$/.test(s) || !Number.isFinite(n) || n > MAX_INT)
        return fail('Enter a number of 0 or more');
      return n;
    }
    case 'bool':
      return s === 'true' ? true : s === 'false' ? false : fail(requiredMessage(def, mode));
    case 'time': {
      const iso = fromLocalInput(s);
      if (!iso) return fail('Enter a date and time');
      if (Date.parse(iso) > Date.now() + CLOCK_SKEW_MS) return fail('Must not be in the future');
      if (Date.parse(iso) < 0) return fail('Must not be before 1970');
      return iso;
    }
    case 'enum':
      if (def.values && !def.values.includes(s)) return fail(`Choose one of the listed values`);
      return def.numeric ? Number(s) : s;
  }
  return s;
}

function build(
  def: Def,
  raw: unknown,
  path: string,
  mode: Mode,
  errors: Errors,
  parentRequired: boolean,
): unknown {
  const required = parentRequired && isRequired(def.req, mode);
  if (def.kind === 'object') {
    if (!required && isBlank(raw)) return undefined;
    const r = (raw && typeof raw === 'object' ? raw : {}) as Raw;
    const out: Raw = {};
    for (const f of def.fields) {
      const v = build(f, r[f.key], pathJoin(path, f.key), mode, errors, true);
      if (v !== undefined) out[f.key] = v;
    }
    return out;
  }
  if (def.kind === 'list') {
    const items = Array.isArray(raw) ? raw : [];
    if (!items.length && !required) return undefined;
    const out = items.map((it, i) => {
      const p = pathJoin(path, i);
      if (Array.isArray(def.item)) {
        return (
          build(
            { key: '', label: def.itemLabel, kind: 'object', req: 'initial', fields: def.item },
            it,
            p,
            mode,
            errors,
            true,
          ) ?? {}
        );
      }
      return scalar(def.item, it, p, mode, errors, mode !== 'draft');
    });
    // A blank line in a list of strings is left out of a draft (a submission reports it instead).
    if (!Array.isArray(def.item)) {
      const kept = out.filter((x) => x !== undefined);
      if (required && def.minItems && kept.length < def.minItems) {
        errors.set(
          path,
          `Add at least ${def.minItems === 1 ? 'one' : def.minItems} ${def.itemLabel.toLowerCase()}`,
        );
      }
      return kept.length || required ? kept : undefined;
    }
    if (required && def.minItems && out.length < def.minItems) {
      errors.set(
        path,
        `Add at least ${def.minItems === 1 ? 'one' : def.minItems} ${def.itemLabel.toLowerCase()} (required for the ${mode} stage)`,
      );
    }
    return out;
  }
  return scalar(def, raw, path, mode, errors, required);
}

function given(o: unknown, key: string): boolean {
  return !!o && typeof o === 'object' && !isBlank((o as Raw)[key]);
}

function obj(o: unknown, ...keys: string[]): Raw | undefined {
  let cur: unknown = o;
  for (const k of keys) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Raw)[k];
  }
  return cur && typeof cur === 'object' && !Array.isArray(cur) ? (cur as Raw) : undefined;
}

/** The cross-field rules of docs/incident-reports.md that are simple to state. */
function crossChecks(doc: Raw, mode: Mode, errors: Errors): void {
  const set = (path: string, m: string) => {
    if (!errors.has(path)) errors.set(path, m);
  };
  if (mode !== 'draft') {
    const contact = obj(doc, 'reporter', 'contact');
    if (contact && !given(contact, 'email') && !given(contact, 'phone')) {
      set('reporter.contact.email', 'Give an email address or a phone number');
    }
    (Array.isArray(doc.contacts) ? doc.contacts : []).forEach((c, i) => {
      if (!given(c, 'email') && !given(c, 'phone'))
        set(`contacts[${i}].email`, 'Give an email address or a phone number');
    });
  }
  if (
    typeof doc.occurred_at === 'string' &&
    typeof doc.discovered_at === 'string' &&
    Date.parse(doc.occurred_at) > Date.parse(doc.discovered_at)
  ) {
    set('occurred_at', 'Must not be after the discovery time');
  }
  const police = obj(doc, 'police');
  if (police && police.contacted === false && given(police, 'case_reference')) {
    set('police.case_reference', 'Only when the police were contacted');
  }
  const rw = obj(doc, 'ransomware');
  if (rw) {
    const ransom = obj(rw, 'ransom');
    if (ransom?.demanded === false) {
      if (ransom.paid === true)
        set('ransomware.ransom.paid', 'Cannot be yes when no ransom was demanded');
      for (const k of ['amount', 'currency'])
        if (given(ransom, k)) set(`ransomware.ransom.${k}`, 'Only when a ransom was demanded');
    }
    if (ransom?.demanded === true && mode === 'final') {
      for (const k of ['amount', 'currency'])
        if (!given(ransom, k)) set(`ransomware.ransom.${k}`, `Enter the ${k} demanded`);
    }
    const enc = obj(rw, 'encryption');
    if (
      enc?.scope === 'none' &&
      typeof enc.systems_encrypted === 'number' &&
      enc.systems_encrypted !== 0
    ) {
      set('ransomware.encryption.systems_encrypted', 'Must be 0 when nothing was encrypted');
    }
    const ex = obj(rw, 'exfiltration');
    if (ex?.leak_site_listed === false && given(ex, 'leak_site_url'))
      set('ransomware.exfiltration.leak_site_url', 'Only when listed on a leak site');
    const note = obj(rw, 'ransom_note');
    if (note && mode !== 'draft' && !given(note, 'excerpt') && !given(note, 'sha256')) {
      set(
        'ransomware.ransom_note.excerpt',
        'Give an excerpt or the SHA-256 of the note (or leave the note out)',
      );
    }
  }
  const so = obj(doc, 'service_outage');
  if (so?.restored === false && given(so, 'restored_at'))
    set('service_outage.restored_at', 'Only when the service is restored');
  if (
    doc.type === 'service-outage' &&
    mode === 'final' &&
    Array.isArray(doc.services_affected) &&
    !doc.services_affected.length
  ) {
    set('services_affected', 'Name the services that stopped');
  }
}

/** The document for `mode` from the form's values, and the problems found on the way. */
export function toDocument(values: Raw, mode: Mode): { doc: Doc; errors: Errors } {
  const errors: Errors = new Map();
  const doc: Raw = {};
  const type = typeof values.type === 'string' ? values.type : '';
  for (const def of Object.values(CORE)) {
    const v = build(def, values[def.key], def.key, mode, errors, true);
    if (v !== undefined) doc[def.key] = v;
  }
  if (!type) errors.set('type', 'Choose the type of incident');
  const part = type ? PARTS[partKey(type)] : undefined;
  if (part) {
    const v = build(part, values[part.key], part.key, mode, errors, true);
    if (v !== undefined) doc[part.key] = v;
  }
  crossChecks(doc, mode, errors);
  return { doc, errors };
}

function toRaw(def: Def, v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (def.kind === 'object') {
    const out: Raw = {};
    for (const f of def.fields) {
      const r = toRaw(f, (v as Raw)[f.key]);
      if (r !== undefined) out[f.key] = r;
    }
    return out;
  }
  if (def.kind === 'list') {
    if (!Array.isArray(v)) return undefined;
    return v.map((it) =>
      Array.isArray(def.item)
        ? toRaw({ key: '', label: '', kind: 'object', fields: def.item }, it)
        : toRaw(def.item, it),
    );
  }
  switch (def.kind) {
    case 'bool':
      return v === true ? 'true' : v === false ? 'false' : undefined;
    case 'time':
      return typeof v === 'string' ? toLocalInput(v) : undefined;
    case 'enumList':
      return Array.isArray(v) ? v.map(String) : undefined;
    default:
      return String(v);
  }
}

/** The form's values for a stored document or draft. */
export function fromDocument(doc: Doc | null | undefined): Raw {
  const values: Raw = {};
  if (!doc) return values;
  for (const def of [...Object.values(CORE), ...Object.values(PARTS)]) {
    const r = toRaw(def, doc[def.key]);
    if (r !== undefined) values[def.key] = r;
  }
  return values;
}

export function getIn(values: unknown, path: (string | number)[]): unknown {
  let cur = values;
  for (const k of path) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

export function setIn(values: unknown, path: (string | number)[], v: unknown): unknown {
  if (!path.length) return v;
  const [k, ...rest] = path;
  if (typeof k === 'number') {
    const arr = Array.isArray(values) ? [...values] : [];
    arr[k] = setIn(arr[k], rest, v);
    return arr;
  }
  const o =
    values && typeof values === 'object' && !Array.isArray(values) ? { ...(values as Raw) } : {};
  o[k] = setIn(o[k], rest, v);
  return o;
}

export function pathString(path: (string | number)[]): string {
  return path.reduce<string>((acc, k) => pathJoin(acc, k), '');
}

/**
 * A document path for people: "indicators[2].value" -> "Indicators 3 › Value",
 * "ransomware.encryption.scope" -> "Encryption › Scope".
 */
export function describePath(path: string): string {
  if (!path) return 'The report';
  const parts: string[] = [];
  let prefix = '';
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (m[2] !== undefined) {
      prefix += `[${m[2]}]`;
      if (parts.length) parts[parts.length - 1] += ` ${Number(m[2]) + 1}`;
      continue;
    }
    prefix = prefix ? `${prefix}.${m[1]}` : m[1];
    const def = defFor(prefix);
    if (!def) return path;
    if (def.kind === 'object' && def.flat) continue;
    parts.push(def.label);
  }
  // "Impact › Impact level" says the same twice.
  const out = parts.filter(
    (p, i) => i === parts.length - 1 || !parts[i + 1].startsWith(p.replace(/ \d+$/, '')),
  );
  return out.join(' › ') || path;
}

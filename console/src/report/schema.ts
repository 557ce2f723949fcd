// The unified incident report as the form shows it: the fields of docs/incident-reports.md,
// their labels, the stage from which each is required, and the form's steps. The hub validates
// every document (src/hub/incident_report.cc); the form checks here only what is simple —
// required fields for the chosen stage, numbers, e-mail and phone shapes, lengths — so most
// mistakes are caught while typing, and maps the hub's field errors back onto these fields.

import { REPORT_TYPES, SECTORS } from '../format';

export type Stage = 'initial' | 'interim' | 'final';
export const STAGE_ORDER: Stage[] = ['initial', 'interim', 'final'];

export type ScalarKind =
  | 'string'
  | 'text'
  | 'email'
  | 'phone'
  | 'url'
  | 'sha256'
  | 'currency'
  | 'int'
  | 'count'
  | 'number'
  | 'bool'
  | 'time'
  | 'enum'
  | 'enumList';

interface Base {
  key: string;
  label: string;
  /** The first stage that needs the field (when its parent is present). */
  req?: Stage;
  hint?: string;
  /** What to say when it is missing (default: "Required for the <stage> stage"). */
  missing?: string;
}

export interface ScalarDef extends Base {
  kind: ScalarKind;
  values?: readonly string[];
  valueLabels?: Record<string, string>;
  /** Bytes for strings. */
  max?: number;
  /** Lists of enums: at least one when required. */
  minItems?: number;
  /** An enum whose values are integers in the document (sensitivity). */
  numeric?: boolean;
  wide?: boolean;
}

export interface ObjectDef extends Base {
  kind: 'object';
  fields: Def[];
  /** Shown without a box of its own (the step's title already names it). */
  flat?: boolean;
}

export interface ListDef extends Base {
  kind: 'list';
  /** Fields of each item; a ScalarDef for lists of plain strings. */
  item: Def[] | ScalarDef;
  itemLabel: string;
  max: number;
  minItems?: number;
}

export type Def = ScalarDef | ObjectDef | ListDef;

const TEXT = 4096;
const NAME = 200;

const person = (): Def[] => [
  { key: 'name', label: 'Name', kind: 'string', req: 'initial', max: NAME },
  { key: 'organisation', label: 'Organisation', kind: 'string', max: NAME },
  { key: 'role', label: 'Role', kind: 'string', max: NAME },
  {
    key: 'email',
    label: 'Email',
    kind: 'email',
    max: 254,
    hint: 'An email or a phone number is needed.',
  },
  { key: 'phone', label: 'Phone', kind: 'phone', max: 32 },
];

export const CORE: Record<string, Def> = {
  type: {
    key: 'type',
    label: 'Type of incident',
    kind: 'enum',
    req: 'initial',
    values: Object.keys(REPORT_TYPES),
    valueLabels: REPORT_TYPES,
  },
  sector: {
    key: 'sector',
    label: 'Sector',
    kind: 'enum',
    req: 'initial',
    values: Object.keys(SECTORS),
    valueLabels: SECTORS,
    missing: 'Choose your sector',
  },
  reporter: {
    key: 'reporter',
    label: 'Reporter',
    kind: 'object',
    req: 'initial',
    flat: true,
    fields: [
      {
        key: 'contact',
        label: 'Person to call back',
        kind: 'object',
        req: 'initial',
        fields: [
          {
            key: 'name',
            label: 'Name',
            kind: 'string',
            req: 'initial',
            max: NAME,
            missing: 'Enter the name of the person to call back',
          },
          {
            key: 'email',
            label: 'Email',
            kind: 'email',
            max: 254,
            hint: 'An email or a phone number is needed.',
          },
          {
            key: 'phone',
            label: 'Phone',
            kind: 'phone',
            max: 32,
            hint: 'Digits, spaces, - . ( ) and a leading +.',
          },
        ],
      },
    ],
  },
  discovered_at: {
    key: 'discovered_at',
    label: 'Discovered at',
    kind: 'time',
    req: 'initial',
    hint: 'Your local time. Deadlines count from here: initial 24 hours, interim 72 hours, final 30 days.',
    missing: 'Enter when the incident was discovered',
  },
  occurred_at: {
    key: 'occurred_at',
    label: 'Occurred at',
    kind: 'time',
    req: 'interim',
    hint: 'When the incident began, as far as you know; not after the discovery.',
    missing: 'Enter when the incident began (required from the interim stage)',
  },
  description: {
    key: 'description',
    label: 'What happened',
    kind: 'text',
    req: 'initial',
    max: 16384,
    hint: 'In your own words: what you saw, what is affected, what you are doing.',
    missing: 'Describe what happened',
    wide: true,
  },
  impact: {
    key: 'impact',
    label: 'Impact',
    kind: 'object',
    req: 'initial',
    fields: [
      {
        key: 'level',
        label: 'Impact level',
        kind: 'enum',
        req: 'initial',
        values: ['none', 'minor', 'moderate', 'severe', 'critical'],
      },
      {
        key: 'description',
        label: 'Impact on services',
        kind: 'text',
        req: 'final',
        max: TEXT,
        wide: true,
      },
      { key: 'service_stopped', label: 'Did a service stop?', kind: 'bool', req: 'final' },
      { key: 'customers_affected', label: 'Customers affected', kind: 'int' },
    ],
  },
  services_affected: {
    key: 'services_affected',
    label: 'Services affected',
    kind: 'list',
    req: 'final',
    item: { key: '', label: 'Service', kind: 'string', req: 'initial', max: NAME },
    itemLabel: 'Service',
    max: 200,
    hint: 'An empty list at the final stage says no service was affected.',
  },
  initial_access_vector: {
    key: 'initial_access_vector',
    label: 'How the attacker got in',
    kind: 'enum',
    req: 'interim',
    values: [
      'phishing',
      'vpn-vulnerability',
      'rdp',
      'exposed-service',
      'supply-chain',
      'credential-stuffing',
      'insider',
      'unknown',
      'other',
    ],
    valueLabels: { rdp: 'RDP', 'vpn-vulnerability': 'VPN vulnerability' },
    hint: '"Unknown" is an accepted answer.',
  },
  systems_affected: {
    key: 'systems_affected',
    label: 'Systems affected',
    kind: 'list',
    req: 'interim',
    minItems: 1,
    itemLabel: 'System',
    max: 1000,
    item: [
      { key: 'name', label: 'Name', kind: 'string', req: 'initial', max: NAME },
      {
        key: 'kind',
        label: 'Kind',
        kind: 'enum',
        values: [
          'server',
          'workstation',
          'network-device',
          'ot-ics',
          'cloud-service',
          'storage',
          'database',
          'mobile',
          'identity',
          'other',
        ],
        valueLabels: { 'ot-ics': 'OT / ICS' },
      },
      { key: 'count', label: 'How many', kind: 'count' },
    ],
  },
  indicators: {
    key: 'indicators',
    label: 'Indicators',
    kind: 'list',
    req: 'interim',
    itemLabel: 'Indicator',
    max: 5000,
    hint: 'Addresses, domains, URLs, file hashes seen in the attack. An empty list says there are none.',
    item: [
      {
        key: 'type',
        label: 'Type',
        kind: 'enum',
        req: 'initial',
        values: ['ipv4', 'ipv6', 'domain', 'url', 'sha256', 'md5', 'email', 'filename'],
        valueLabels: {
          ipv4: 'IPv4 address',
          ipv6: 'IPv6 address',
          sha256: 'SHA-256',
          md5: 'MD5',
          url: 'URL',
        },
      },
      // The value's syntax depends on its type (IPv6, internationalized domains...): the hub checks it.
      { key: 'value', label: 'Value', kind: 'string', req: 'initial', max: 2048 },
      { key: 'description', label: 'Description', kind: 'text', max: TEXT },
    ],
  },
  contacts: {
    key: 'contacts',
    label: 'Other contacts',
    kind: 'list',
    req: 'final',
    itemLabel: 'Contact',
    max: 50,
    hint: 'Others involved (incident response vendor, IT supplier). An empty list says there are none.',
    item: person(),
  },
  police: {
    key: 'police',
    label: 'Police',
    kind: 'object',
    req: 'final',
    fields: [
      { key: 'contacted', label: 'Have the police been contacted?', kind: 'bool', req: 'initial' },
      {
        key: 'include_in_sharing',
        label: 'Share this report with police organisations?',
        kind: 'bool',
        req: 'initial',
        hint: 'Your choice, independent of whether you contacted them.',
      },
      {
        key: 'case_reference',
        label: 'Police case reference',
        kind: 'string',
        max: 100,
        hint: 'Only when the police were contacted.',
      },
    ],
  },
  tlp: {
    key: 'tlp',
    label: 'TLP label',
    kind: 'enum',
    values: ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'],
    hint: 'How far readers may pass the report on outside the hub (default AMBER). The ministry and the centre receive it whatever the label.',
  },
  sensitivity: {
    key: 'sensitivity',
    label: 'Sensitivity',
    kind: 'enum',
    values: ['0', '1', '2', '3'],
    numeric: true,
    valueLabels: { '0': '0 — public', '1': '1 — default', '2': '2', '3': '3 — highest' },
    hint: 'Readers need at least this clearance (default 1).',
  },
};

export const PARTS: Record<string, ObjectDef> = {
  ransomware: {
    key: 'ransomware',
    flat: true,
    label: 'Ransomware',
    kind: 'object',
    req: 'final',
    fields: [
      {
        key: 'group',
        label: 'Group',
        kind: 'string',
        max: NAME,
        hint: "The group's name, when known.",
      },
      {
        key: 'ransom_note',
        label: 'Ransom note',
        kind: 'object',
        hint: 'If you give it: an excerpt or the SHA-256 of the note file.',
        fields: [
          { key: 'excerpt', label: 'Excerpt', kind: 'text', max: TEXT, wide: true },
          { key: 'sha256', label: 'SHA-256 of the note file', kind: 'sha256' },
        ],
      },
      {
        key: 'encryption',
        label: 'Encryption',
        kind: 'object',
        req: 'final',
        fields: [
          {
            key: 'scope',
            label: 'Scope',
            kind: 'enum',
            req: 'final',
            values: ['none', 'partial', 'full'],
          },
          { key: 'systems_encrypted', label: 'Systems encrypted', kind: 'int', req: 'final' },
        ],
      },
      {
        key: 'exfiltration',
        label: 'Data exfiltration',
        kind: 'object',
        req: 'final',
        fields: [
          { key: 'suspected', label: 'Suspected?', kind: 'bool', req: 'final' },
          { key: 'confirmed', label: 'Confirmed?', kind: 'bool', req: 'final' },
          { key: 'leak_site_listed', label: 'Listed on a leak site?', kind: 'bool', req: 'final' },
          {
            key: 'leak_site_url',
            label: 'Leak site URL',
            kind: 'url',
            max: 2048,
            hint: 'Only when listed.',
          },
        ],
      },
      {
        key: 'ransom',
        label: 'Ransom',
        kind: 'object',
        req: 'final',
        fields: [
          { key: 'demanded', label: 'Was a ransom demanded?', kind: 'bool', req: 'final' },
          { key: 'amount', label: 'Amount', kind: 'number', hint: 'Only when demanded.' },
          { key: 'currency', label: 'Currency', kind: 'currency', hint: 'JPY, USD, BTC, XMR…' },
          { key: 'paid', label: 'Was it paid?', kind: 'bool', req: 'final' },
        ],
      },
      {
        key: 'backups',
        label: 'Backups',
        kind: 'object',
        req: 'final',
        fields: [
          {
            key: 'status',
            label: 'Backup status',
            kind: 'enum',
            req: 'final',
            values: ['intact', 'partially-affected', 'encrypted', 'none', 'unknown'],
          },
          { key: 'restore_started', label: 'Has restoring started?', kind: 'bool', req: 'final' },
        ],
      },
    ],
  },
  ddos: {
    key: 'ddos',
    flat: true,
    label: 'DDoS',
    kind: 'object',
    req: 'final',
    fields: [
      { key: 'peak_bps', label: 'Peak bits per second', kind: 'int', req: 'final' },
      { key: 'peak_pps', label: 'Peak packets per second', kind: 'int', req: 'final' },
      { key: 'duration_minutes', label: 'Duration (minutes)', kind: 'int', req: 'final' },
      {
        key: 'vectors',
        label: 'Attack vectors',
        kind: 'enumList',
        req: 'final',
        minItems: 1,
        values: [
          'udp-flood',
          'syn-flood',
          'ack-flood',
          'icmp-flood',
          'gre-flood',
          'dns-amplification',
          'ntp-amplification',
          'memcached-amplification',
          'ssdp-amplification',
          'cldap-amplification',
          'http-flood',
          'slow-http',
          'carpet-bombing',
          'other',
        ],
      },
      {
        key: 'mitigation',
        label: 'Mitigation',
        kind: 'text',
        req: 'final',
        max: TEXT,
        wide: true,
        hint: 'Scrubbing, rate limits, upstream filtering…',
      },
    ],
  },
  unauthorized_access: {
    key: 'unauthorized_access',
    flat: true,
    label: 'Unauthorized access',
    kind: 'object',
    req: 'final',
    fields: [
      { key: 'accounts_compromised', label: 'Accounts compromised', kind: 'int', req: 'final' },
      {
        key: 'privileged',
        label: 'Any administrator or service account among them?',
        kind: 'bool',
        req: 'final',
      },
      {
        key: 'lateral_movement',
        label: 'Did the attacker move beyond the first system?',
        kind: 'bool',
        req: 'final',
      },
    ],
  },
  data_leak: {
    key: 'data_leak',
    flat: true,
    label: 'Data leak',
    kind: 'object',
    req: 'final',
    fields: [
      { key: 'records_affected', label: 'Records affected', kind: 'int', req: 'final' },
      {
        key: 'personal_data',
        label: 'Was personal information among the data?',
        kind: 'bool',
        req: 'final',
      },
      {
        key: 'data_categories',
        label: 'Kinds of data',
        kind: 'enumList',
        req: 'final',
        minItems: 1,
        values: [
          'personal-identifiers',
          'contact-details',
          'credentials',
          'financial',
          'health',
          'government-id',
          'trade-secrets',
          'customer-data',
          'employee-data',
          'technical',
          'other',
        ],
      },
    ],
  },
  service_outage: {
    key: 'service_outage',
    flat: true,
    label: 'Service outage',
    kind: 'object',
    req: 'final',
    fields: [
      { key: 'outage_minutes', label: 'Outage (minutes)', kind: 'int', req: 'final' },
      {
        key: 'cause',
        label: 'Cause',
        kind: 'enum',
        req: 'final',
        values: [
          'cyberattack',
          'suspected-cyberattack',
          'system-failure',
          'operator-error',
          'third-party',
          'unknown',
          'other',
        ],
      },
      { key: 'restored', label: 'Is the service restored?', kind: 'bool', req: 'final' },
      { key: 'restored_at', label: 'Restored at', kind: 'time', hint: 'Only when restored.' },
    ],
  },
};

export function partKey(type: string): string {
  return type.replace(/-/g, '_');
}

export interface Step {
  id: string;
  title: string;
  /** Top-level keys of the document this step edits. */
  keys: string[];
}

export const STEPS: Step[] = [
  { id: 'type', title: 'Type and stage', keys: ['type'] },
  {
    id: 'reporter',
    title: 'Reporter and times',
    keys: ['sector', 'reporter', 'discovered_at', 'occurred_at'],
  },
  {
    id: 'what',
    title: 'What happened',
    keys: ['description', 'impact', 'services_affected', 'initial_access_vector'],
  },
  { id: 'systems', title: 'Systems and indicators', keys: ['systems_affected', 'indicators'] },
  {
    id: 'people',
    title: 'Contacts, police, label',
    keys: ['contacts', 'police', 'tlp', 'sensitivity'],
  },
  { id: 'part', title: 'Type-specific details', keys: Object.keys(PARTS) },
  { id: 'review', title: 'Review and submit', keys: [] },
];

/** The step that edits a document path ("indicators[2].value" -> systems); null when none. */
export function stepOfPath(path: string): string | null {
  const top = path.split(/[.[]/)[0];
  return STEPS.find((s) => s.keys.includes(top))?.id ?? null;
}

/** The id of the control (or group) for a document path. */
export function inputId(path: string): string {
  return `f-${path.replace(/[^A-Za-z0-9]+/g, '-').replace(/-+$/, '')}`;
}

function findDef(defs: Def[], parts: string[]): Def | null {
  const [head, ...rest] = parts;
  const d = defs.find((x) => x.key === head);
  if (!d) return null;
  if (!rest.length) return d;
  if (d.kind === 'object') return findDef(d.fields, rest);
  if (d.kind === 'list' && Array.isArray(d.item)) return findDef(d.item, rest);
  return null;
}

/** The label of a document path without list indexes ("impact.level" -> "Impact level"). */
export function labelFor(path: string): string | null {
  const parts = path.replace(/\[\d*\]/g, '').split('.');
  const d = findDef([...Object.values(CORE), ...Object.values(PARTS)], parts);
  return d?.label ?? null;
}

/** The def at a document path without list indexes, or null. */
export function defFor(path: string): Def | null {
  const parts = path.replace(/\[\d*\]/g, '').split('.');
  return findDef([...Object.values(CORE), ...Object.values(PARTS)], parts);
}

/** The keys of the object at `path` in the form's order (the document's own order otherwise). */
export function orderedKeys(path: string, keys: string[]): string[] {
  let order: string[];
  if (!path) {
    order = [...Object.keys(CORE), ...Object.keys(PARTS)];
  } else {
    const d = defFor(path);
    const fields =
      d?.kind === 'object' ? d.fields : d?.kind === 'list' && Array.isArray(d.item) ? d.item : null;
    if (!fields) return keys;
    order = fields.map((f) => f.key);
  }
  const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
  return [...keys].sort((a, b) => rank(a) - rank(b));
}

/** How a value of an enumerated field reads ("vpn-vulnerability" -> "VPN vulnerability"). */
export function valueText(path: string, value: string): string {
  const d = defFor(path);
  if (!d || d.kind === 'object' || d.kind === 'list') return value;
  if (d.kind !== 'enum' && d.kind !== 'enumList') return value;
  const l = d.valueLabels?.[value];
  if (l) return l;
  if (d.numeric || /^[A-Z+]+$/.test(value)) return value;
  const s = value.replace(/-/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// Display helpers: times in the browser's time zone, names of enumerated values for people.

const pad = (n: number) => String(n).padStart(2, '0');

/** "2025-10-10 10:00 GMT+9" in the browser's time zone; "—" for null. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const zone =
    new Intl.DateTimeFormat('en-GB', { timeZoneName: 'short' })
      .formatToParts(d)
      .find((p) => p.type === 'timeZoneName')?.value ?? '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())} ${zone}`.trim();
}

/** The value of an <input type="datetime-local"> for an RFC 3339 time, in local time. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** RFC 3339 (UTC) for the value of an <input type="datetime-local">; null when not a time. */
export function fromLocalInput(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** "in-review" -> "In review", "data_leak" -> "Data leak". */
export function humanize(value: string | null | undefined): string {
  if (!value) return '—';
  const s = value.replace(/[-_]/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export const SECTORS: Record<string, string> = {
  'information-communications': 'Information & communications',
  finance: 'Finance',
  aviation: 'Aviation',
  airports: 'Airports',
  railways: 'Railways',
  electricity: 'Electricity',
  gas: 'Gas',
  'government-administrative': 'Government & administrative services',
  medical: 'Medical',
  water: 'Water',
  logistics: 'Logistics',
  chemicals: 'Chemicals',
  'credit-cards': 'Credit cards',
  petroleum: 'Petroleum',
  ports: 'Ports',
};

export const REPORT_TYPES: Record<string, string> = {
  ransomware: 'Ransomware',
  ddos: 'DDoS',
  'unauthorized-access': 'Unauthorized access',
  'data-leak': 'Data leak',
  'service-outage': 'Service outage',
};

export const STAGES: Record<string, string> = {
  initial: 'Initial (速報)',
  interim: 'Interim',
  final: 'Final',
  draft: 'Draft',
};

export const ORG_TYPES: Record<string, string> = {
  centre: 'Centre',
  ministry: 'Ministry',
  'government-body': 'Government body',
  agency: 'Agency',
  operator: 'Operator',
  vendor: 'Vendor',
  ceptoar: 'CEPTOAR',
  commission: 'Oversight commission',
  police: 'Police',
};

export const EVENT_STATES = [
  'new',
  'in-review',
  'confirmed',
  'notified',
  'closed',
  'noise',
] as const;

export function sectorName(s: string | null | undefined): string {
  return s ? (SECTORS[s] ?? s) : '—';
}

export function reportTypeName(t: string | null | undefined): string {
  return t ? (REPORT_TYPES[t] ?? t) : '—';
}

export function stageName(s: string | null | undefined): string {
  return s ? (STAGES[s] ?? s) : 'Draft';
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

// The organisations, users and events the end-to-end tests run against (created by
// global-setup.ts with `mamori admin` and the API before the hub's console is opened).

export const PASSWORD = 'correct horse battery staple';

export const ORGS = {
  centre: { name: 'National Cyber Centre', args: ['--type', 'centre'] },
  ministry: { name: 'Ministry of Health', args: ['--type', 'ministry'] },
  hospital: {
    name: 'Sakura Hospital',
    args: [
      '--type',
      'operator',
      '--sector',
      'medical',
      '--ministry',
      'Ministry of Health',
      '--prefix',
      '198.51.100.0/24',
      '--domain',
      'sakura-hp.example.jp',
    ],
  },
  bank: {
    name: 'Kumo Bank',
    args: ['--type', 'operator', '--sector', 'finance', '--prefix', '203.0.113.0/24'],
  },
  commission: { name: 'Oversight Commission', args: ['--type', 'commission'] },
} as const;

export const USERS = {
  centreAnalyst: { name: 'centre-analyst', org: ORGS.centre.name, role: 'analyst', clearance: 3 },
  centreAdmin: { name: 'centre-admin', org: ORGS.centre.name, role: 'admin', clearance: 3 },
  ministryAnalyst: {
    name: 'ministry-analyst',
    org: ORGS.ministry.name,
    role: 'analyst',
    clearance: 2,
  },
  hospitalAnalyst: {
    name: 'hospital-analyst',
    org: ORGS.hospital.name,
    role: 'analyst',
    clearance: 2,
  },
  hospitalKeyboard: {
    name: 'hospital-keys',
    org: ORGS.hospital.name,
    role: 'analyst',
    clearance: 2,
  },
  bankAnalyst: { name: 'bank-analyst', org: ORGS.bank.name, role: 'analyst', clearance: 2 },
  commissioner: { name: 'commissioner', org: ORGS.commission.name, role: 'viewer', clearance: 3 },
} as const;

export type UserKey = keyof typeof USERS;

/** The event routed to the hospital (its target is inside 198.51.100.0/24). */
export const HOSPITAL_EVENT = 'ev-sakura-sqli-1';

function detectEvent(id: string, category: string, target: string, severity = 'high'): string {
  return JSON.stringify({
    id,
    category,
    pattern: 'single',
    severity,
    first_seen: new Date(Date.now() - 3_600_000).toISOString(),
    sources: ['192.0.2.7'],
    targets: [target],
    requests: 3,
  });
}

/** Unrouted scanner noise, enough for the event list to need a second page (50 per page). */
export const BULK_EVENTS = 55;

export const EVENTS_NDJSON =
  [
    ...Array.from({ length: BULK_EVENTS }, (_, i) =>
      detectEvent(
        `ev-scan-${String(i).padStart(2, '0')}`,
        'scanner',
        `scan-${i}.example.org`,
        'low',
      ),
    ),
    detectEvent(HOSPITAL_EVENT, 'sqli', '198.51.100.20:443'),
    detectEvent('ev-sakura-xss-1', 'xss', 'www.sakura-hp.example.jp', 'medium'),
    detectEvent('ev-bank-traversal-1', 'path-traversal', '203.0.113.9:80'),
    detectEvent('ev-unrouted-1', 'sqli', 'unknown.example.org', 'low'),
  ].join('\n') + '\n';

/** The sensor whose reports the commission inspects, and the order it runs under. */
export const SENSOR = 'sensor-tokyo-1';

export const ORDER = {
  id: 'order-console-e2e',
  purpose: 'Botnet command servers reaching Japanese networks',
  scopes: ['foreign-foreign', 'foreign-domestic'],
  valid_from: '2026-01-01T00:00:00Z',
  valid_until: '2099-01-01T00:00:00Z',
  criteria: [
    { id: 'c-ip', ip: '203.0.113.5' },
    { id: 'c-telnet', port: 23 },
  ],
};

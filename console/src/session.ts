// Who is logged in, and what the console offers them. The hub decides every access
// (docs/sharing.md); these checks only decide what the navigation shows, so a page the hub would
// refuse is not offered.

import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { SessionInfo } from './api';

export const SessionContext = createContext<SessionInfo | null>(null);

export function useSession(): SessionInfo {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a logged-in page');
  return s;
}

const rank = { viewer: 0, analyst: 1, admin: 2 } as const;

export function atLeast(s: SessionInfo, role: keyof typeof rank): boolean {
  return rank[s.user.role] >= rank[role];
}

export const can = {
  /** Centre analysts and admins move events through triage. */
  triage: (s: SessionInfo) => s.organisation.type === 'centre' && atLeast(s, 'analyst'),
  /** Notifications are addressed to the organisations events are routed to. */
  notifications: (s: SessionInfo) => !['centre', 'commission'].includes(s.organisation.type),
  /** Reports reach their reporter, the overseeing ministry, the centre and included police. */
  readReports: (s: SessionInfo) => s.organisation.type !== 'commission',
  /** Reporters: analysts and admins of organisations that report incidents. */
  fileReports: (s: SessionInfo) =>
    !['centre', 'ministry', 'commission', 'police'].includes(s.organisation.type) &&
    atLeast(s, 'analyst'),
  oversight: (s: SessionInfo) => s.organisation.type === 'commission',
};

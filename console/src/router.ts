// Hash routing (#/reports/rep_1?stage=initial): the hub serves index.html for every non-API path,
// and a hash keeps every console URL a plain file request. Hashes that do not start with "#/"
// (in-page anchors) are not routes.

import { useEffect, useState } from 'preact/hooks';

export interface Route {
  path: string;
  query: URLSearchParams;
}

export function currentRoute(): Route {
  const hash = window.location.hash;
  const raw = hash.startsWith('#/') ? hash.slice(1) : '/';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  return { path: path || '/', query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

export function href(path: string, query?: Record<string, string | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v) params.set(k, v);
  const qs = params.toString();
  return `#${path}${qs ? `?${qs}` : ''}`;
}

let keepFocus = false;

/** Whether the navigation that just happened asked to leave the focus where it is. */
export function takeKeepFocus(): boolean {
  const k = keepFocus;
  keepFocus = false;
  return k;
}

export function navigate(
  path: string,
  query?: Record<string, string | undefined | null>,
  replace = false,
  leaveFocus = false,
): void {
  const target = href(path, query);
  keepFocus = leaveFocus;
  if (replace) {
    window.history.replaceState(null, '', target);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    window.location.hash = target.slice(1);
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const onChange = () => {
      if (window.location.hash === '' || window.location.hash.startsWith('#/'))
        setRoute(currentRoute());
    };
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** Matches "/reports/:id" against "/reports/rep_1"; the decoded parameters, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/');
  const s = path.split('/');
  if (p.length !== s.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) {
      if (!s[i]) return null;
      try {
        out[p[i].slice(1)] = decodeURIComponent(s[i]);
      } catch {
        return null;
      }
    } else if (p[i] !== s[i]) {
      return null;
    }
  }
  return out;
}

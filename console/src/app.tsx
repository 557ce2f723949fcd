import { Fragment, type VNode } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, request, setCsrfToken, setSessionEndedHandler, type SessionInfo } from './api';
import { ORG_TYPES, humanize } from './format';
import { match, navigate, takeKeepFocus, useRoute, type Route } from './router';
import { SessionContext, can } from './session';
import { Loading, NotFound, ErrorMessage } from './components/ui';
import { LoginPage } from './pages/login';
import { DashboardPage } from './pages/dashboard';
import { EventListPage, EventDetailPage, NotificationsPage } from './pages/events';
import { ReportListPage, ReportDetailPage } from './pages/reports';
import { ReportFormPage } from './report/form';
import { OrganisationListPage, OrganisationDetailPage } from './pages/organisations';
import { OversightPage } from './pages/oversight';

interface NavItem {
  path: string;
  label: string;
  show: (s: SessionInfo) => boolean;
  /** Paths under this one highlight it too. */
  prefix?: string;
  exclude?: string;
}

const NAV: NavItem[] = [
  { path: '/', label: 'Dashboard', show: () => true },
  { path: '/events', label: 'Events', show: () => true, prefix: '/events' },
  { path: '/notifications', label: 'Notifications', show: can.notifications },
  {
    path: '/reports',
    label: 'Incident reports',
    show: can.readReports,
    prefix: '/reports',
    exclude: '/reports/new',
  },
  { path: '/reports/new', label: 'File a report', show: can.fileReports },
  { path: '/organisations', label: 'Organisations', show: () => true, prefix: '/organisations' },
  { path: '/oversight', label: 'Oversight', show: can.oversight, prefix: '/oversight' },
];

function isCurrent(item: NavItem, path: string): boolean {
  if (item.path === path) return true;
  if (!item.prefix || (item.exclude && path.startsWith(item.exclude))) return false;
  return path.startsWith(`${item.prefix}/`);
}

/**
 * The page for a route. `generation` changes after a re-login, which fetches every page's data
 * again — except the report form's, whose unsaved input must survive an expired session.
 */
function Page({ route, generation }: { route: Route; generation: number }) {
  const el = pageFor(route);
  if (el.key === 'report-form') return el;
  return <Fragment key={generation}>{el}</Fragment>;
}

function pageFor(route: Route): VNode {
  const { path, query } = route;
  let m: Record<string, string> | null;
  if (path === '/') return <DashboardPage />;
  if (path === '/events') return <EventListPage query={query} />;
  if ((m = match('/events/:id', path))) return <EventDetailPage id={m.id} />;
  if (path === '/notifications') return <NotificationsPage />;
  if (path === '/reports') return <ReportListPage query={query} />;
  // One form instance for a new report and its continuation: saving the first draft moves the
  // URL from /reports/new to /reports/ID/edit without starting the form again.
  if (path === '/reports/new')
    return <ReportFormPage key="report-form" reportId={null} initialType={query.get('type')} />;
  if ((m = match('/reports/:id/edit', path)))
    return <ReportFormPage key="report-form" reportId={m.id} initialType={null} />;
  if ((m = match('/reports/:id', path))) return <ReportDetailPage id={m.id} />;
  if (path === '/organisations') return <OrganisationListPage />;
  if ((m = match('/organisations/:id', path))) return <OrganisationDetailPage id={m.id} />;
  if (path === '/oversight') return <OversightPage />;
  return <NotFound />;
}

function Shell({
  session,
  route,
  onLogout,
  generation,
  blocked,
}: {
  session: SessionInfo;
  route: Route;
  onLogout: () => void;
  generation: number;
  /** A re-login dialog is over the page: nothing underneath may take focus or clicks. */
  blocked: boolean;
}) {
  const mainRef = useRef<HTMLElement>(null);
  const first = useRef(true);
  // After a navigation, move focus to the new page's title so keyboard and screen-reader users
  // start at the top of the new content (the first render keeps the browser's own focus).
  useEffect(() => {
    if (first.current || takeKeepFocus()) {
      first.current = false;
      return undefined;
    }
    const t = window.setTimeout(() => {
      const h = document.getElementById('page-title');
      (h ?? mainRef.current)?.focus();
    }, 0);
    window.scrollTo(0, 0);
    return () => window.clearTimeout(t);
  }, [route.path]);
  return (
    <div class="shell" {...(blocked ? { inert: true, 'aria-hidden': 'true' } : {})}>
      <a
        href="#main"
        class="skip-link"
        onClick={(e) => {
          e.preventDefault();
          mainRef.current?.focus();
        }}
      >
        Skip to main content
      </a>
      <header class="topbar">
        <a href="#/" class="brand">
          <span lang="ja">守り</span> mamori hub
        </a>
        <div class="whoami">
          <span class="who-name">{session.user.name}</span>
          <span class="who-org">
            {session.organisation.name} ·{' '}
            {ORG_TYPES[session.organisation.type] ?? session.organisation.type} ·{' '}
            {humanize(session.user.role)} · clearance {session.user.clearance}
          </span>
        </div>
        <button type="button" class="button-secondary" onClick={onLogout}>
          Log out
        </button>
      </header>
      <div class="body">
        <nav class="sidenav" aria-label="Main">
          <ul>
            {NAV.filter((n) => n.show(session)).map((n) => (
              <li key={n.path}>
                <a href={`#${n.path}`} aria-current={isCurrent(n, route.path) ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1} ref={mainRef}>
          <Page route={route} generation={generation} />
        </main>
      </div>
    </div>
  );
}

export function App() {
  const route = useRoute();
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const [bootError, setBootError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // Set when the session ended under an open page: the login form is shown over the page, so
  // that nothing typed into it (a half-written report) is lost.
  const [relogin, setRelogin] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const hadSession = useRef(false);

  useEffect(() => {
    setSessionEndedHandler((code) => {
      setCsrfToken(null);
      const why =
        code === 'session-expired'
          ? 'Your session has expired. Log in again to continue where you were.'
          : 'You are logged out. Log in to continue where you were.';
      if (hadSession.current) {
        setRelogin(why);
      } else {
        setSession(null);
        setNotice(why);
      }
    });
    request<SessionInfo>('GET', '/session', { allowUnauthenticated: true }).then(
      (s) => {
        setCsrfToken(s.csrf_token);
        hadSession.current = true;
        setSession(s);
      },
      (e) => {
        if (e instanceof ApiError && e.status === 401) setSession(null);
        else setBootError(e);
      },
    );
  }, []);

  // After a re-login over an open page, continue at the page's title.
  const wasRelogin = useRef(false);
  useEffect(() => {
    if (relogin === null && wasRelogin.current) {
      window.setTimeout(() => {
        (document.getElementById('page-title') ?? document.getElementById('main'))?.focus();
      }, 0);
    }
    wasRelogin.current = relogin !== null;
  }, [relogin]);

  if (bootError) {
    return (
      <main id="main" class="login-page">
        <div class="login-box">
          <h1>mamori hub</h1>
          <ErrorMessage error={bootError} title="The hub could not be reached" />
          <button type="button" class="button-primary" onClick={() => window.location.reload()}>
            Try again
          </button>
        </div>
      </main>
    );
  }
  if (session === undefined) return <Loading what="Starting the console" />;

  function loggedIn(s: SessionInfo) {
    setCsrfToken(s.csrf_token);
    hadSession.current = true;
    setNotice(null);
    setRelogin(null);
    setGeneration((g) => g + 1);
    setSession(s);
  }

  if (session === null) return <LoginPage notice={notice} onLoggedIn={loggedIn} />;

  async function logout() {
    try {
      await request('DELETE', '/session', { allowUnauthenticated: true });
    } catch {
      // Logged out locally either way; the session also ends on its own.
    }
    setCsrfToken(null);
    hadSession.current = false;
    setNotice('You have logged out.');
    setRelogin(null);
    setSession(null);
    navigate('/', undefined, true);
  }

  return (
    <SessionContext.Provider value={session}>
      {/* Another user logging in over an ended session gets a fresh console. */}
      <Shell
        key={session.user.id}
        session={session}
        route={route}
        onLogout={logout}
        generation={generation}
        blocked={relogin !== null}
      />
      {relogin !== null ? <LoginPage notice={relogin} onLoggedIn={loggedIn} overlay /> : null}
    </SessionContext.Provider>
  );
}

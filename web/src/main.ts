/**
 * The console shell: sign-in, then a navigation bar and one view at a time (hash routes, so the
 * static site needs no server-side routing). Tenant users see their estate; the provider's users
 * (group `provider`) see the platform's health.
 */
import './style.css';
import { whenUnauthorized } from './api';
import { registerPasskey, type Session, session, signOut } from './auth';
import { h, mount } from './dom';
import { alertSettingsView } from './views/alert-settings';
import { alertsView } from './views/alerts';
import { dashboardsView } from './views/dashboards';
import { collectorsView, usageView } from './views/estate';
import { explorerView } from './views/explorer';
import { loginView } from './views/login';
import { overviewView } from './views/overview';
import { providerView } from './views/provider';
import type { View, ViewFactory } from './views/view';

interface Page {
  readonly path: string;
  readonly title: string;
  readonly view: ViewFactory;
}

const TENANT_PAGES: readonly Page[] = [
  { path: '#/overview', title: 'Overview', view: overviewView },
  { path: '#/explore', title: 'Explore', view: explorerView },
  { path: '#/dashboards', title: 'Dashboards', view: dashboardsView },
  { path: '#/alerts', title: 'Alerts', view: alertsView },
  { path: '#/alert-settings', title: 'Alert settings', view: alertSettingsView },
  { path: '#/collectors', title: 'Collectors', view: collectorsView },
  { path: '#/usage', title: 'Usage', view: usageView },
];
const PROVIDER_PAGES: readonly Page[] = [
  { path: '#/platform', title: 'Platform health', view: providerView },
];

const app = document.getElementById('app') as HTMLElement;
let active: View | undefined;

const isProvider = (s: Session) => (s.claims['cognito:groups'] ?? []).includes('provider');

function render(): void {
  active?.stop();
  active = undefined;
  const current = session();
  if (!current) {
    const main = h('main', { id: 'main', class: 'center' });
    mount(app, main);
    loginView(main, () => {
      location.hash = isProvider(session() as Session) ? '#/platform' : '#/overview';
      render();
    });
    return;
  }
  const pages = isProvider(current) ? PROVIDER_PAGES : TENANT_PAGES;
  const page = pages.find((p) => location.hash.startsWith(p.path)) ?? (pages[0] as Page);
  const main = h('main', { id: 'main', tabindex: -1 });
  const nav = h(
    'nav',
    { 'aria-label': 'Console' },
    h(
      'ul',
      null,
      pages.map((p) =>
        h('li', null, h('a', { href: p.path, 'aria-current': p === page ? 'page' : undefined }, p.title)),
      ),
    ),
  );
  const who = current.claims.email ?? current.claims.sub;
  mount(
    app,
    h(
      'header',
      null,
      h('span', { class: 'brand' }, 'Observability'),
      nav,
      h(
        'span',
        { class: 'who' },
        who,
        ' ',
        h(
          'button',
          {
            type: 'button',
            class: 'link',
            onclick: async (event: Event) => {
              const button = event.currentTarget as HTMLButtonElement;
              const note = document.getElementById('passkey-status') as HTMLElement;
              button.disabled = true;
              try {
                await registerPasskey();
                note.textContent = 'Passkey added: next time, sign in with it.';
              } catch (error) {
                note.textContent = `No passkey added: ${(error as Error).message}`;
              } finally {
                button.disabled = false;
              }
            },
          },
          'Add a passkey',
        ),
        ' ',
        h('span', { id: 'passkey-status', 'aria-live': 'polite' }),
        ' ',
        h(
          'button',
          {
            type: 'button',
            class: 'link',
            onclick: () => {
              signOut();
              location.hash = '';
              render();
            },
          },
          'Sign out',
        ),
      ),
    ),
    main,
  );
  document.title = `${page.title} · Observability console`;
  active = page.view(main);
}

whenUnauthorized(render);
window.addEventListener('hashchange', () => {
  render();
  document.getElementById('main')?.focus();
});
render();

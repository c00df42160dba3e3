/**
 * The provider's security notices not yet acknowledged, above the overview, each with its latest
 * status and an Acknowledge button (docs/notices.md). Admins only: for other roles the API answers
 * 403 and the panel stays empty, as it does when every notice is acknowledged.
 */
import { ApiError, call } from '../api';
import { h, mount } from '../dom';

interface Notice {
  readonly incidentId: string;
  readonly title: string;
  readonly severity: string;
  readonly status: string;
  readonly updates: readonly { readonly text: string; readonly at: string }[];
}

export function noticesPanel(): HTMLElement {
  const panel = h('section', { 'aria-label': 'Security notices' });
  const refresh = async () => {
    let notices: readonly Notice[];
    try {
      notices = (await call<{ items: Notice[] }>('/v1/notices?unacknowledged=true&limit=10')).items;
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) return;
      throw error;
    }
    mount(
      panel,
      notices.length === 0
        ? null
        : [
            h('h2', null, 'Security notices'),
            h(
              'ul',
              null,
              notices.map((n) =>
                h(
                  'li',
                  null,
                  h('span', { class: `badge ${n.severity === 'low' ? 'warning' : 'critical'}` }, n.severity),
                  ' ',
                  h('strong', null, n.title),
                  ` (${n.status}) `,
                  n.updates.at(-1)?.text ?? '',
                  ' ',
                  h(
                    'button',
                    {
                      type: 'button',
                      'aria-label': `Acknowledge ${n.title}`,
                      onclick: async () => {
                        await call(`/v1/notices/${encodeURIComponent(n.incidentId)}/ack`, {
                          method: 'POST',
                          body: '{}',
                        });
                        await refresh();
                      },
                    },
                    'Acknowledge',
                  ),
                ),
              ),
            ),
          ],
    );
  };
  void refresh().catch(() => undefined);
  return panel;
}

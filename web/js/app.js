/**
 * Shared state of the single page: the session, the application clock and cached plan data,
 * plus the flash message area. Pages receive this object; nothing else is global.
 */
import { api } from './api.js';
import { h, mount } from './dom.js';
import { getSelection, getSession, setSelection } from './session.js';

const cache = new Map();

async function cached(key, load) {
  if (!cache.has(key)) {
    cache.set(
      key,
      load().catch((error) => {
        cache.delete(key);
        throw error;
      }),
    );
  }
  return cache.get(key);
}

export const app = {
  get session() {
    return getSession();
  },
  get user() {
    return getSession()?.user ?? null;
  },
  /** `{ mode: 'system' | 'virtual', now }`, refreshed on every navigation. */
  clock: null,

  async refreshClock() {
    this.clock = await api('GET', '/api/clock');
    return this.clock;
  },

  /** The application's "now" (the virtual clock when there is one). */
  now() {
    return this.clock?.now ?? new Date().toISOString();
  },

  plans: () => cached('plans', () => api('GET', '/api/plans')),
  plan: (planId) =>
    cached(`plan:${planId}`, () => api('GET', `/api/plans/${encodeURIComponent(planId)}`)),
  machine: (planId) =>
    cached(`machine:${planId}`, () =>
      api('GET', `/api/plans/${encodeURIComponent(planId)}/machine`),
    ),

  /** Every record of the agency registries (`GET /api/agencies`); none on a server without. */
  registry: () =>
    cached('agencies', () =>
      api('GET', '/api/agencies').catch((error) => {
        if (error.status === 404) return [];
        throw error;
      }),
    ),

  /**
   * Agencies by code as on a civil date (YYYY-MM-DD): the registry's record valid that day,
   * else the plan's own entry, else the code's latest record. Each has `code, name, group, tags`.
   */
  async agencyDirectory(plan, date) {
    const records = await app.registry();
    const codes = new Set([...plan.agencies.map((a) => a.code), ...records.map((r) => r.code)]);
    const byCode = new Map();
    for (const code of codes) {
      const own = plan.agencies.find((a) => a.code === code);
      const periods = records
        .filter((r) => r.code === code)
        .sort((a, b) => (a.validFrom ?? '').localeCompare(b.validFrom ?? ''));
      const current = periods.find(
        (r) => (!r.validFrom || r.validFrom <= date) && (!r.validTo || r.validTo >= date),
      );
      const chosen = current ?? own ?? periods[periods.length - 1];
      byCode.set(code, {
        ...own,
        ...chosen,
        tags: chosen.tags ?? own?.tags ?? [],
        valid: Boolean(current) || periods.length === 0,
      });
    }
    return byCode;
  },

  /** Agencies in existence on a civil date (for choosing one), by name. */
  async agenciesOn(plan, date) {
    const directory = await app.agencyDirectory(plan, date);
    return [...directory.values()]
      .filter((a) => a.valid !== false)
      .sort((a, b) => a.name.localeCompare(b.name, 'vi'));
  },

  /** Forgets cached data (after logout, or when an administrator opens a cycle). */
  forget(prefix = '') {
    for (const key of [...cache.keys()]) if (key.startsWith(prefix)) cache.delete(key);
  },

  /** Years whose cycle is open for a plan, newest first (probes the plan's years up to next year). */
  openYears(planId) {
    return cached(`years:${planId}`, async () => {
      const plan = await app.plan(planId);
      const current = Number(app.now().slice(0, 4));
      const last = Math.min(plan.cycle.lastYear ?? current + 1, current + 1);
      const years = [];
      for (let y = plan.cycle.firstYear; y <= last; y += 1) years.push(y);
      const found = await Promise.all(
        years.map((y) =>
          api('GET', `/api/plans/${encodeURIComponent(planId)}/cycles/${y}`).then(
            () => y,
            (error) => {
              if (error.status === 404) return null;
              throw error;
            },
          ),
        ),
      );
      return found.filter((y) => y !== null).sort((a, b) => b - a);
    });
  },

  selection: () => getSelection(),
  select: (planId, year) => setSelection({ planId, year }),

  /** Shows a message above the page: `kind` is 'success', 'error' or 'info'. */
  flash(message, kind = 'success') {
    const region = document.getElementById('flash');
    if (!region) return;
    if (!message) {
      mount(region);
      return;
    }
    const box = h(
      'div',
      { class: ['flash', `flash-${kind}`], role: kind === 'error' ? 'alert' : 'status' },
      h('p', {}, message),
      h(
        'button',
        { type: 'button', class: 'link-button', onclick: () => mount(region) },
        'Đóng thông báo',
      ),
    );
    mount(region, box);
  },
};

/**
 * Choosing the plan and the year: the plans the server knows and the years whose cycle is open.
 * The choice is remembered for the session so that every page shows the same cycle.
 */
import { app } from '../app.js';
import { field, h, select } from '../dom.js';

/**
 * Renders the picker and resolves to `{ element, planId, year, plan }`; `onChange(planId, year)`
 * runs when the user picks another plan or year. `year` is null when the plan has no open cycle.
 */
/**
 * @param {{ query?: Record<string, string>, onChange: (planId: string, year: number | null) => void }} options
 */
export async function planYearPicker({ query = {}, onChange }) {
  const plans = await app.plans();
  const remembered = app.selection() ?? {};
  const planId =
    [query.plan, remembered.planId].find((id) => plans.some((p) => p.id === id)) ?? plans[0]?.id;
  const years = planId ? await app.openYears(planId) : [];
  const currentYear = Number(app.now().slice(0, 4));
  const wanted = [Number(query.year), Number(remembered.year), currentYear];
  const year = wanted.find((y) => years.includes(y)) ?? years[0] ?? null;
  if (planId && year) app.select(planId, year);

  const planSelect = select(
    plans.map((p) => [p.id, `${p.issuer}: ${p.title}`]),
    planId,
    { name: 'plan', class: 'plan-select' },
  );
  const yearSelect = select(
    years.map((y) => [y, String(y)]),
    year,
    { name: 'year' },
  );
  planSelect.addEventListener('change', async () => {
    const ys = await app.openYears(planSelect.value);
    onChange(planSelect.value, ys[0] ?? null);
  });
  yearSelect.addEventListener('change', () => onChange(planSelect.value, Number(yearSelect.value)));
  const element = h(
    'div',
    { class: 'picker' },
    field({ label: 'Kế hoạch', control: planSelect }).element,
    years.length
      ? field({ label: 'Năm báo cáo', control: yearSelect }).element
      : h('p', { class: 'notice' }, 'Kế hoạch này chưa mở kỳ báo cáo nào.'),
  );
  const plan = planId ? await app.plan(planId) : null;
  return { element, planId, year, plan };
}

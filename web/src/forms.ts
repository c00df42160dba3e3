/**
 * Editor forms: the API validates (422 with `error.field`, e.g. `widgets[1].promql` or
 * `stages[0].recipients[0].address`), the form shows the message on the control whose `data-field`
 * names that field (or its closest named ancestor field), marks it aria-invalid and focuses it.
 */
import { ApiError } from './api';
import { h } from './dom';

/** Removes every error a previous submit left on `form`. */
export function clearFieldErrors(form: HTMLElement): void {
  for (const e of form.querySelectorAll('.field-error')) e.remove();
  for (const c of form.querySelectorAll('[aria-invalid]')) {
    c.removeAttribute('aria-invalid');
    const describedBy = (c.getAttribute('aria-describedby') ?? '')
      .split(' ')
      .filter((id) => id && !id.endsWith('-error'))
      .join(' ');
    if (describedBy) c.setAttribute('aria-describedby', describedBy);
    else c.removeAttribute('aria-describedby');
  }
}

/** `a.b[0].c` → [`a.b[0].c`, `a.b[0]`, `a.b`, `a`]: the field, then what contains it. */
function candidates(field: string): string[] {
  const out = [field];
  let rest = field;
  while (/[.[]/.test(rest)) {
    rest = rest.replace(/(\.[^.[]+|\[\d+\])$/, '');
    out.push(rest);
  }
  return out;
}

/**
 * Shows `error` on the control of `form` it names; anything else (no field, no such control, not a
 * validation error) goes to `status`. Returns the control it marked, if any.
 */
export function showError(form: HTMLElement, status: HTMLElement, error: Error): HTMLElement | undefined {
  clearFieldErrors(form);
  status.classList.add('error');
  const field = error instanceof ApiError ? error.field : undefined;
  const named = field
    ? candidates(field)
        .map((name) => ({
          name,
          control: form.querySelector<HTMLElement>(`[data-field="${CSS.escape(name)}"]`),
        }))
        .find((c) => c.control)
    : undefined;
  const control = named?.control;
  if (!field || !named || !control) {
    status.textContent = error.message;
    return undefined;
  }
  const id = `${control.id || `c-${Math.random().toString(36).slice(2)}`}-error`;
  if (!control.id) control.id = id.replace(/-error$/, '');
  control.setAttribute('aria-invalid', 'true');
  control.setAttribute('aria-describedby', `${control.getAttribute('aria-describedby') ?? ''} ${id}`.trim());
  // The API prefixes the field's path (`widgets[0].promql: …`): the control says as much of it as
  // it stands for, so only the rest is kept (`recipients[1].address: …` on a stage's box).
  const detail = error.message.startsWith(`${field}: `)
    ? error.message.slice(field.length + 2)
    : error.message;
  // A box of one entry per line (`data-lines`) names the line instead of its index.
  const rest = field
    .slice(named.name.length)
    .replace(/^\./, '')
    .replace(/^\[(\d+)\]\.?/, (index, n: string) =>
      control.dataset.lines === undefined ? index : `line ${Number(n) + 1} `,
    )
    .trim();
  const message = rest ? `${rest}: ${detail}` : detail;
  control.insertAdjacentElement('afterend', h('small', { class: 'field-error', id, role: 'alert' }, message));
  status.textContent = 'Please correct the highlighted field.';
  control.focus();
  return control;
}

/** A submit handler that disables the button while `save` runs and shows what it throws. */
export function onSubmit(
  form: HTMLFormElement,
  status: HTMLElement,
  save: () => Promise<string | undefined>,
): (event: Event) => Promise<void> {
  return async (event) => {
    event.preventDefault();
    const buttons = [...form.querySelectorAll('button[type="submit"]')] as HTMLButtonElement[];
    for (const b of buttons) b.disabled = true;
    try {
      clearFieldErrors(form);
      const done = await save();
      status.classList.remove('error');
      status.textContent = done ?? '';
    } catch (error) {
      showError(form, status, error as Error);
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  };
}

/** Whether the signed-in person's role may change things (operator and admin; read-only views). */
export const canEdit = (groups: readonly string[] | undefined): boolean =>
  (groups ?? []).some((g) => g === 'admin' || g === 'operator');

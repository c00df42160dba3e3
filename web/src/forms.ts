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
  const control = field
    ? candidates(field)
        .map((name) => form.querySelector<HTMLElement>(`[data-field="${CSS.escape(name)}"]`))
        .find((c) => c)
    : undefined;
  if (!control) {
    status.textContent = error.message;
    return undefined;
  }
  const id = `${control.id || `c-${Math.random().toString(36).slice(2)}`}-error`;
  if (!control.id) control.id = id.replace(/-error$/, '');
  control.setAttribute('aria-invalid', 'true');
  control.setAttribute('aria-describedby', `${control.getAttribute('aria-describedby') ?? ''} ${id}`.trim());
  control.insertAdjacentElement(
    'afterend',
    h('small', { class: 'field-error', id, role: 'alert' }, error.message),
  );
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

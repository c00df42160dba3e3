/**
 * The PromQL editor (CodeMirror 6 with @prometheus-io/codemirror-promql: highlighting, linting,
 * completion of functions, metric names and labels from the tenant's own /api/v1 endpoints). Loaded
 * lazily (explorer.ts imports it dynamically), so its ~100 KB stay out of the first load. It takes
 * the place of a textarea and keeps that textarea's value in step, so the form reads it as before.
 */
import {
  autocompletion,
  closeBrackets,
  closeBracketsKeymap,
  completionKeymap,
} from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { lintKeymap } from '@codemirror/lint';
import { EditorState, Prec } from '@codemirror/state';
import { EditorView, keymap, placeholder } from '@codemirror/view';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';
import { loadConfig, session } from './auth';

export interface PromqlEditor {
  readonly view: EditorView;
  destroy(): void;
}

/** Replaces `textarea` (which stays the value's holder) with the editor; Enter runs `onRun`, Shift+Enter breaks the line. */
export async function mountPromqlEditor(
  textarea: HTMLTextAreaElement,
  onRun: () => void,
): Promise<PromqlEditor> {
  const { apiBase } = await loadConfig();
  const promql = new PromQLExtension().setComplete({
    remote: {
      url: apiBase || location.origin,
      httpMethod: 'GET',
      // The tenant's ID token, as every other console request carries it.
      fetchFn: (input: RequestInfo | URL, init?: RequestInit) =>
        fetch(input, {
          ...init,
          headers: {
            ...(init?.headers as Record<string, string>),
            authorization: `Bearer ${session()?.idToken ?? ''}`,
          },
        }),
      cache: { maxAge: 60_000 },
    },
  });
  const label = textarea.id ? document.querySelector<HTMLLabelElement>(`label[for="${textarea.id}"]`) : null;
  if (label && !label.id) label.id = `${textarea.id}-label`;
  const labelId = label?.id;
  const view = new EditorView({
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        history(),
        closeBrackets(),
        bracketMatching(),
        autocompletion(),
        syntaxHighlighting(defaultHighlightStyle),
        placeholder(textarea.placeholder),
        promql.asExtension(),
        Prec.highest(
          keymap.of([
            {
              key: 'Enter',
              run: () => {
                onRun();
                return true;
              },
            },
          ]),
        ),
        keymap.of([
          ...closeBracketsKeymap,
          ...defaultKeymap,
          ...historyKeymap,
          ...completionKeymap,
          ...lintKeymap,
        ]),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({
          ...(labelId ? { 'aria-labelledby': labelId } : {}),
          ...(textarea.getAttribute('aria-describedby')
            ? { 'aria-describedby': textarea.getAttribute('aria-describedby') as string }
            : {}),
        }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) textarea.value = update.state.doc.toString();
        }),
      ],
    }),
  });
  // The label now names the editor; the textarea stays in the form, hidden, holding the value.
  if (label) label.htmlFor = '';
  textarea.hidden = true;
  textarea.insertAdjacentElement('afterend', view.dom);
  return {
    view,
    destroy: () => view.destroy(),
  };
}

// XEP-0004 data forms as PEP uses them: publish-options and node configuration (XEP-0060 §7.1.5, §8.2).
import { type Element, xml } from '@parley/xml';
import { NS_DATA } from './ns.ts';

/** The fields of a submitted form, FORM_TYPE apart: var → values. */
export interface SubmittedForm {
  formType: string | undefined;
  fields: Map<string, string[]>;
}

/** Reads a `<x xmlns='jabber:x:data'/>` child of `parent`, or null when it has none. */
export function readForm(parent: Element | undefined): SubmittedForm | null {
  const x = parent?.getChild('x', NS_DATA);
  if (!x) return null;
  const fields = new Map<string, string[]>();
  let formType: string | undefined;
  for (const f of x.getChildren('field')) {
    const name = f.attr('var');
    if (!name) continue;
    const values = f.getChildren('value').map((v) => v.text());
    if (name === 'FORM_TYPE') formType = values[0];
    else fields.set(name, values);
  }
  return { formType, fields };
}

export type FormField = { var: string; type?: string; label?: string; values: string[]; options?: string[] };

/** A form of `type` with a hidden FORM_TYPE (XEP-0068). */
export function buildForm(type: 'form' | 'result' | 'submit', formType: string, fields: FormField[]): Element {
  return xml(
    'x',
    { xmlns: NS_DATA, type },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, formType)),
    ...fields.map((f) =>
      xml(
        'field',
        { var: f.var, type: f.type, label: f.label },
        ...(f.options ?? []).map((o) => xml('option', {}, xml('value', {}, o))),
        ...f.values.map((v) => xml('value', {}, v)),
      ),
    ),
  );
}

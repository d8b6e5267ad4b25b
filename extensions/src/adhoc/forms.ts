// XEP-0004 data forms: building a form to send and reading the values of a submitted one.
import { type Element, xml } from '@parley/xml';

export const NS_DATA = 'jabber:x:data';

export type FieldType = 'boolean' | 'fixed' | 'hidden' | 'jid-multi' | 'jid-single' | 'list-single' | 'list-multi' | 'text-single' | 'text-multi' | 'text-private';

export interface FormField {
  var?: string;
  type: FieldType;
  label?: string;
  value?: string | string[];
  options?: Array<{ label?: string; value: string }>;
  required?: boolean;
}

/** XEP-0004 §3.1: a form of one type ('form', 'result', …) with its fields. */
export function dataForm(type: 'form' | 'result' | 'submit' | 'cancel', opts: { title?: string; instructions?: string; fields: FormField[] }): Element {
  return xml(
    'x',
    { xmlns: NS_DATA, type },
    opts.title ? xml('title', {}, opts.title) : null,
    opts.instructions ? xml('instructions', {}, opts.instructions) : null,
    ...opts.fields.map(fieldElement),
  );
}

export function fieldElement(f: FormField): Element {
  const values = f.value === undefined ? [] : Array.isArray(f.value) ? f.value : [f.value];
  return xml(
    'field',
    { var: f.var, type: f.type, label: f.label },
    f.required ? xml('required') : null,
    ...values.map((v) => xml('value', {}, v)),
    ...(f.options ?? []).map((o) => xml('option', { label: o.label }, xml('value', {}, o.value))),
  );
}

/** A submitted form's values by field var (XEP-0004 §3.2); null when `el` holds no submit form. */
export function submittedValues(parent: Element | undefined): Map<string, string[]> | null {
  const form = parent?.getChild('x', NS_DATA);
  if (!form || (form.attr('type') !== 'submit' && form.attr('type') !== undefined)) return null;
  const values = new Map<string, string[]>();
  for (const f of form.getChildren('field')) {
    const name = f.attr('var');
    if (name) values.set(name, f.getChildren('value').map((v) => v.text()));
  }
  return values;
}

/** XEP-0004 §3.3: a boolean field is true for "1" or "true". */
export const isTrue = (v: string | undefined) => v === '1' || v === 'true';

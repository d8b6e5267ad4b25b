// The XEP-0050 command a user edits her directory entry with: one form with each field's value and
// who may find her by it (everyone, her contacts, nobody). New fields default to nobody: the
// directory is opt-in.
import type { SessionIqRequest } from '@parley/ext';
import type { DirectoryField } from '@parley/store';
import { type AdhocCommand, type CommandStep, dataForm, type FormField } from '../adhoc/index.ts';
import { DIRECTORY_FIELDS, isVisibility } from './fields.ts';

export const DIRECTORY_EDIT_NODE = 'urn:parley:directory:edit';

function editForm(current: DirectoryField[]) {
  const fields: FormField[] = [];
  for (const spec of DIRECTORY_FIELDS) {
    const f = current.find((c) => c.field === spec.var);
    fields.push({ var: spec.var, type: 'text-single', label: spec.label, value: f?.value ?? '' });
    fields.push({
      var: `${spec.var}#visibility`,
      type: 'list-single',
      label: `Who can find you by ${spec.label.toLowerCase()}`,
      value: f?.visibility ?? 'nobody',
      options: [
        { label: 'Everyone', value: 'everyone' },
        { label: 'My contacts', value: 'contacts' },
        { label: 'Nobody', value: 'nobody' },
      ],
    });
  }
  return dataForm('form', {
    title: 'Your directory entry',
    instructions: 'Fill in what others may find you by, and choose who can search each field. Empty fields are not published.',
    fields,
  });
}

export function directoryEditCommand(): AdhocCommand<null> {
  return {
    node: DIRECTORY_EDIT_NODE,
    name: 'Edit my directory entry',
    // Only this server's own accounts have an entry.
    allowed: (ctx: SessionIqRequest) => ctx.from.local !== null && ctx.from.domain === ctx.domain,
    async start(ctx) {
      return { status: 'executing', state: null, actions: ['complete'], form: editForm(await ctx.env.store.directory.get(ctx.from.bareString())) };
    },
    async next(ctx, { values }): Promise<CommandStep<null>> {
      if (!values) return { status: 'error', condition: 'bad-request', text: 'submit the form', badPayload: true };
      const fields: DirectoryField[] = [];
      for (const spec of DIRECTORY_FIELDS) {
        const value = (values.get(spec.var)?.[0] ?? '').trim();
        const visibility = values.get(`${spec.var}#visibility`)?.[0] ?? 'nobody';
        if (!isVisibility(visibility)) return { status: 'error', condition: 'bad-request', text: `${spec.var}: choose everyone, contacts or nobody`, badPayload: true };
        if (value === '') continue;
        if (!spec.valid(value)) return { status: 'error', condition: 'bad-request', text: `${spec.label} is not valid`, badPayload: true };
        fields.push({ field: spec.var, value, visibility });
      }
      await ctx.env.store.directory.put(ctx.from.bareString(), fields);
      const listed = fields.filter((f) => f.visibility !== 'nobody').length;
      return { status: 'completed', notes: [{ type: 'info', text: listed ? `Saved: ${listed} field(s) can be searched.` : 'Saved: you are not listed in the directory.' }] };
    },
  };
}

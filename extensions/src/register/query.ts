// XEP-0077 `jabber:iq:register` payloads: the registration form (§3.1, with the XEP-0004 form of §4)
// and what a client submitted, from the form or from the legacy fields.
import { type Element, xml } from '@parley/xml';
import { dataForm, type FormField, submittedValues } from '../adhoc/forms.ts';

export const NS_REGISTER = 'jabber:iq:register';
/** RFC 6120 §4.3.2 stream feature: registration is offered before authentication (XEP-0077 §8). */
export const NS_REGISTER_FEATURE = 'http://jabber.org/features/iq-register';
/** XEP-0445 §3.1: this server takes invitation tokens for registration (`<preauth/>` before it). */
export const NS_INVITE_FEATURE = 'urn:xmpp:invite';
export const NS_PARS = 'urn:xmpp:pars:0';
/** XEP-0077 §3.3 with a form: the FORM_TYPE of a password change. */
const CHANGE_PASSWORD_FORM = 'jabber:iq:register:changepassword';

export interface Submitted {
  username?: string;
  password?: string;
  /** The invitation token typed into the form (XEP-0445 clients send `<preauth/>` first instead). */
  token?: string;
  remove: boolean;
}

/** §3.1 example 2 and §4: the legacy fields and the same as a data form, with the token field when invitations are required. */
export function registrationForm(needsToken: boolean): Element {
  const fields: FormField[] = [
    { var: 'FORM_TYPE', type: 'hidden', value: NS_REGISTER },
    { var: 'username', type: 'text-single', label: 'Username', required: true },
    { var: 'password', type: 'text-private', label: 'Password', required: true },
  ];
  if (needsToken) fields.push({ var: 'token', type: 'text-single', label: 'Invitation token (the preauth part of your invitation link)', required: true });
  const instructions = needsToken
    ? 'Choose a username and a password, and give the token of your invitation.'
    : 'Choose a username and a password.';
  return xml(
    'query',
    { xmlns: NS_REGISTER },
    xml('instructions', {}, instructions),
    xml('username'),
    xml('password'),
    dataForm('form', { title: 'Create an account', instructions, fields }),
  );
}

/** §3.2 example: an authenticated account asking is told it is registered, and its username. */
export function registeredStatus(username: string): Element {
  return xml('query', { xmlns: NS_REGISTER }, xml('registered'), xml('username', {}, username));
}

/** What the client submitted: a data form (§4) wins over the legacy fields. */
export function readSubmitted(query: Element): Submitted {
  const remove = query.getChild('remove') !== undefined;
  const form = submittedValues(query);
  if (form) {
    const type = form.get('FORM_TYPE')?.[0];
    if (type === undefined || type === NS_REGISTER || type === CHANGE_PASSWORD_FORM) {
      return { username: one(form.get('username')), password: one(form.get('password')), token: one(form.get('token')), remove };
    }
  }
  return { username: text(query, 'username'), password: text(query, 'password'), remove };
}

const one = (values: string[] | undefined) => (values && values.length === 1 ? values[0] : undefined);
function text(query: Element, name: string): string | undefined {
  const el = query.getChild(name);
  return el ? el.text() : undefined;
}

/** XEP-0445 §3.2: the token of a `<preauth/>` (bounded like XEP-0379 tokens). */
export function preauthToken(el: Element): string | undefined {
  const t = el.attr('token');
  return t && t.length <= 256 ? t : undefined;
}


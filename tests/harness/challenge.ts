// The requester's side of a contact-request challenge (extensions/src/challenges): the XEP-0004 form
// submitted in a message to the user's bare JID.
import { NS_CHALLENGE } from '@parley/extensions';
import { xml } from './xmppjs.ts';

export const challengeAnswer = (to: string, id: string, answer: string) =>
  xml(
    'message',
    { to, type: 'normal' },
    xml(
      'x',
      { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'FORM_TYPE' }, xml('value', {}, NS_CHALLENGE)),
      xml('field', { var: 'challenge' }, xml('value', {}, id)),
      xml('field', { var: 'answer' }, xml('value', {}, answer)),
    ),
  );

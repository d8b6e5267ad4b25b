// The XEP-0077 module's pure parts: the password policy, and reading what a client submitted (a data
// form wins over the legacy fields). The protocol itself is tested with slixmpp in tests/register.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseFragment } from '@parley/xml';
import { passwordProblem } from './password-policy.ts';
import { readSubmitted, registrationForm } from './query.ts';

describe('password policy', () => {
  const policy = { minLength: 10, username: 'juliet' };
  test('too short, too long, common (in any case), or containing the username is refused with a reason', () => {
    assert.match(passwordProblem('abc123', policy) ?? '', /too short/);
    assert.match(passwordProblem('x'.repeat(1025), policy) ?? '', /too long/);
    assert.match(passwordProblem('PassWord1234', policy) ?? '', /most common/);
    assert.match(passwordProblem('juliet-is-my-name', policy) ?? '', /username/);
  });
  test('a long uncommon password passes; length counts characters, not bytes', () => {
    assert.equal(passwordProblem('violet-kettle-harbour', policy), null);
    assert.match(passwordProblem('ééééééééé', policy) ?? '', /too short/, '9 characters, 18 bytes');
  });
});

describe('registration payloads', () => {
  test('the form asks for the token only when invitations are required', () => {
    const vars = (el: ReturnType<typeof registrationForm>) => el.getChild('x', 'jabber:x:data')?.getChildren('field').map((f) => f.attr('var'));
    assert.deepEqual(vars(registrationForm(true)), ['FORM_TYPE', 'username', 'password', 'token']);
    assert.deepEqual(vars(registrationForm(false)), ['FORM_TYPE', 'username', 'password']);
  });
  test('a submitted form wins over the legacy fields; <remove/> is seen', () => {
    const q = parseFragment(
      "<query xmlns='jabber:iq:register'><username>legacy</username><password>p1</password><x xmlns='jabber:x:data' type='submit'>" +
        "<field var='FORM_TYPE'><value>jabber:iq:register</value></field><field var='username'><value>formed</value></field>" +
        "<field var='password'><value>p2</value></field><field var='token'><value>t0k</value></field></x></query>",
    );
    assert.deepEqual(readSubmitted(q), { username: 'formed', password: 'p2', token: 't0k', remove: false });
    assert.deepEqual(readSubmitted(parseFragment("<query xmlns='jabber:iq:register'><username>a</username><password>b</password></query>")), { username: 'a', password: 'b', remove: false });
    assert.equal(readSubmitted(parseFragment("<query xmlns='jabber:iq:register'><remove/></query>")).remove, true);
  });
});

"""slixmpp commands for the contact-request challenge tests: a challenge form arriving in a message
(XEP-0004), answering it with a submitted form, and subscribing with a XEP-0379 token."""
from slixmpp.xmlstream import ET

from jsonlines import emit

PLUGINS = ['xep_0004', 'xep_0050']
NS_CHALLENGE = 'urn:parley:challenge:0'


def attach(client):
    def on_message(msg):
        form = msg.xml.find('{jabber:x:data}x')
        if form is None or form.get('type') != 'form':
            return
        fields = {}
        labels = {}
        for f in form.findall('{jabber:x:data}field'):
            if f.get('var'):
                fields[f.get('var')] = [v.text or '' for v in f.findall('{jabber:x:data}value')]
                labels[f.get('var')] = f.get('label') or ''
        emit({'event': 'challenge_form', 'from': str(msg['from']), 'fields': fields, 'question': labels.get('answer', '')})

    def on_presence(pres):
        if pres.xml.get('type') == 'subscribe':
            emit({'event': 'subscribe_request', 'from': str(pres['from']),
                  'passed': pres.xml.find('{%s}passed' % NS_CHALLENGE) is not None})

    client.add_event_handler('message', on_message)
    client.add_event_handler('presence_subscribe', on_presence)


async def challenge_answer(c, cmd):
    """Submit the form (type submit, XEP-0004 §3.2) in a message to the user who asked."""
    form = c['xep_0004'].make_form(ftype='submit')
    form.add_field(var='FORM_TYPE', ftype='hidden', value=NS_CHALLENGE)
    form.add_field(var='challenge', ftype='hidden', value=cmd['challenge'])
    form.add_field(var='answer', value=cmd['answer'])
    msg = c.make_message(mto=cmd['to'], mtype='normal')
    msg.append(form)
    msg.send()
    return {}


async def subscribe_preauth(c, cmd):
    p = c.make_presence(pto=cmd['to'], ptype='subscribe')
    preauth = ET.Element('{urn:xmpp:pars:0}preauth')
    preauth.set('token', cmd['token'])
    p.append(preauth)
    p.send()
    return {}


COMMANDS = {'challenge_answer': challenge_answer, 'subscribe_preauth': subscribe_preauth}

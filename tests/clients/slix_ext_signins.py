"""Sign-in history and settings (issue 9 item 6) for the slixmpp driver: the XEP-0050 commands run
with slixmpp's own xep_0050 plugin, the XEP-0004 result read from <reported/> and <item/>."""
from slixmpp.exceptions import IqError

PLUGINS = ['xep_0004', 'xep_0050']
TIMEOUT = 10
HISTORY = 'urn:parley:signins:history'
SETTINGS = 'urn:parley:signins:settings'
X = '{jabber:x:data}'


async def signin_history(c, cmd):
    """Runs the history command: the reported columns and each item as {var: value}, in order."""
    try:
        iq = await c['xep_0050'].send_command(c.boundjid.host, HISTORY, timeout=TIMEOUT)
    except IqError as e:
        return {'error': e.iq['error']['condition']}
    form = iq['command'].xml.find(X + 'x')
    reported = [f.get('var') for f in form.find(X + 'reported').findall(X + 'field')]
    items = [{f.get('var'): f.findtext(X + 'value') or '' for f in item.findall(X + 'field')} for item in form.findall(X + 'item')]
    return {'status': iq['command']['status'], 'type': form.get('type'), 'reported': reported, 'items': items}


async def signin_settings(c, cmd):
    """Runs the settings command and submits `multi_login` and `idle_timeout` (strings)."""
    try:
        first = await c['xep_0050'].send_command(c.boundjid.host, SETTINGS, timeout=TIMEOUT)
        form = c['xep_0004'].make_form(ftype='submit')
        form.add_field(var='multi-login', ftype='list-single', value=cmd.get('multi_login', 'default'))
        form.add_field(var='idle-timeout', ftype='text-single', value=cmd.get('idle_timeout', ''))
        done = await c['xep_0050'].send_command(c.boundjid.host, SETTINGS, action='complete', payload=form,
                                                sessionid=first['command']['sessionid'], timeout=TIMEOUT)
    except IqError as e:
        return {'error': e.iq['error']['condition'], 'text': e.iq['error']['text']}
    notes = [n.text or '' for n in done['command'].xml.findall('{http://jabber.org/protocol/commands}note')]
    return {'status': done['command']['status'], 'notes': notes}


COMMANDS = {'signin_history': signin_history, 'signin_settings': signin_settings}

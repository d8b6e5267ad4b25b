"""slixmpp commands for the profile tests: vCard-temp (XEP-0054), private XML storage (XEP-0049),
ad-hoc commands (XEP-0050), the user directory (XEP-0055) and HTTP file upload (XEP-0363)."""
import base64
import os
import tempfile

from slixmpp.xmlstream import ElementBase, ET

PLUGINS = ['xep_0004', 'xep_0049', 'xep_0050', 'xep_0054', 'xep_0055']
try:
    # slixmpp's XEP-0363 plugin needs aiohttp (Debian python3-aiohttp, scripts/ensure-system-deps.sh).
    # Without it only the upload commands fail, not every test that starts this driver.
    import aiohttp  # noqa: F401
    PLUGINS.append('xep_0363')
except ImportError:
    pass

TIMEOUT = 5


class Note(ElementBase):
    """A private XML payload of the tests' own namespace."""
    name = 'note'
    namespace = 'urn:parley:test:notes'
    plugin_attrib = 'parley_note'
    interfaces = {'text'}

    def get_text(self):
        return self.xml.text or ''

    def set_text(self, value):
        self.xml.text = value


def attach(client):
    client['xep_0049'].register(Note)


async def vcard_set(c, cmd):
    vcard = c['xep_0054'].make_vcard()
    vcard['FN'] = cmd.get('fn', '')
    if cmd.get('nickname'):
        vcard['NICKNAME'] = cmd['nickname']
    if cmd.get('photo'):
        vcard['PHOTO']['TYPE'] = 'image/png'
        vcard['PHOTO']['BINVAL'] = base64.b64decode(cmd['photo'])
    if cmd.get('note'):
        vcard['NOTE'] = cmd['note']
    await c['xep_0054'].publish_vcard(vcard, timeout=TIMEOUT)
    return {}


async def vcard_get(c, cmd):
    iq = await c['xep_0054'].get_vcard(cmd.get('to') or c.boundjid.bare, local=False, cached=False, timeout=TIMEOUT)
    v = iq['vcard_temp']
    photo = v['PHOTO']['BINVAL'] if v.xml.find('{vcard-temp}PHOTO') is not None else b''
    return {'fn': v['FN'], 'nickname': v['NICKNAME'], 'photo': base64.b64encode(photo).decode()}


async def private_store(c, cmd):
    note = Note()
    note['text'] = cmd['text']
    await c['xep_0049'].store(note, timeout=TIMEOUT)
    return {}


async def private_get(c, cmd):
    iq = await c['xep_0049'].retrieve('parley_note', timeout=TIMEOUT)
    return {'text': iq['private']['parley_note']['text']}


async def send_update_presence(c, cmd):
    """XEP-0153 §3.2: presence advertising the avatar hash, as clients send it."""
    p = c.make_presence()
    x = ET.Element('{vcard-temp:x:update}x')
    photo = ET.SubElement(x, '{vcard-temp:x:update}photo')
    photo.text = cmd['hash']
    p.append(x)
    p.send()
    return {}


async def commands_list(c, cmd):
    iq = await c['xep_0050'].get_commands(cmd.get('to') or c.boundjid.host, timeout=TIMEOUT)
    return {'items': [{'jid': str(i[0]), 'node': i[1], 'name': i[2]} for i in iq['disco_items']['items']]}


def _command_reply(iq):
    command = iq['command']
    form = command.xml.find('{jabber:x:data}x')
    fields = {}
    if form is not None:
        for f in form.findall('{jabber:x:data}field'):
            if f.get('var'):
                fields[f.get('var')] = [v.text or '' for v in f.findall('{jabber:x:data}value')]
    actions = command.xml.find('{http://jabber.org/protocol/commands}actions')
    return {
        'status': command['status'],
        'sessionid': command['sessionid'],
        'notes': [n.text for n in command.xml.findall('{http://jabber.org/protocol/commands}note')],
        'fields': fields,
        'actions': [a.tag.split('}')[1] for a in actions] if actions is not None else [],
    }


async def command_exec(c, cmd):
    """One stage of an ad-hoc command: execute (no session), or an action with a submitted form."""
    payload = None
    if cmd.get('values') is not None:
        form = c['xep_0004'].make_form(ftype='submit')
        for var, value in cmd['values'].items():
            form.add_field(var=var, value=value)
        payload = form
    iq = await c['xep_0050'].send_command(cmd.get('to') or c.boundjid.host, cmd['node'], action=cmd.get('action', 'execute'),
                                          payload=payload, sessionid=cmd.get('sessionid'), timeout=TIMEOUT)
    return _command_reply(iq)


async def search_fields(c, cmd):
    iq = c.make_iq_get(ito=cmd.get('to') or c.boundjid.host)
    iq.enable('search')
    result = await iq.send(timeout=TIMEOUT)
    form = result['search']['form']
    return {'fields': [f['var'] for f in form['fields']], 'instructions': result['search'].xml.findtext('{jabber:iq:search}instructions')}


async def search(c, cmd):
    iq = c['xep_0055'].make_search_iq(ito=cmd.get('to') or c.boundjid.host)
    for var, value in cmd['values'].items():
        iq['search']['form'].add_field(var=var, value=value)
    result = await iq.send(timeout=TIMEOUT)
    form = result['search']['form']
    items = []
    for item in form['items']:
        items.append({k: v for k, v in item.items()})
    return {'items': items, 'reported': list(form['reported'].keys())}


async def upload(c, cmd):
    """slixmpp's own XEP-0363 flow: find the service, ask a slot, PUT the bytes (aiohttp); returns the GET URL."""
    data = base64.b64decode(cmd['data'])
    if c['xep_0363'].upload_service is None:
        # slixmpp 1.8.3's find_upload_service hands coroutines to asyncio.wait, which Python 3.11
        # forbids; do its discovery step (identity store/file, the feature, max-file-size) with its
        # disco plugin on the domain instead, then let upload_file do the rest.
        info = await c['xep_0030'].get_info(jid=c.boundjid.host, timeout=TIMEOUT)
        disco = info['disco_info']
        if ('store', 'file') in [(i[0], i[1]) for i in disco['identities']] and 'urn:xmpp:http:upload:0' in disco['features']:
            c['xep_0363'].upload_service = info['from']
            for form in disco.iterables:
                values = form['values']
                if values.get('FORM_TYPE') == ['urn:xmpp:http:upload:0']:
                    c['xep_0363'].max_file_size = int(values['max-file-size'])
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, cmd['filename'])
        with open(path, 'wb') as f:
            f.write(data)
        url = await c['xep_0363'].upload_file(path, content_type=cmd.get('type'), timeout=TIMEOUT)
    return {'url': url, 'service': str(c['xep_0363'].upload_service), 'max': c['xep_0363'].max_file_size}


async def upload_slot(c, cmd):
    iq = await c['xep_0363'].request_slot(cmd.get('to') or c.boundjid.host, cmd['filename'], cmd['size'], cmd.get('type'), timeout=TIMEOUT)
    slot = iq['http_upload_slot']
    return {'put': slot['put']['url'], 'get': slot['get']['url'], 'headers': {h['name']: h['value'] for h in slot['put']['headers']}}


COMMANDS = {
    'vcard_set': vcard_set,
    'vcard_get': vcard_get,
    'private_store': private_store,
    'private_get': private_get,
    'send_update_presence': send_update_presence,
    'commands_list': commands_list,
    'command_exec': command_exec,
    'search_fields': search_fields,
    'search': search,
    'upload': upload,
    'upload_slot': upload_slot,
}

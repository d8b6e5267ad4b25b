"""Certificate accounts (docs/certificates.md) for the slixmpp driver: `connect` takes certfile/keyfile
and mech EXTERNAL; a sign-in that finds no usable mechanism (EXTERNAL not offered for the certificate)
ends the connect with an error instead of waiting for its timeout."""


def attach(client):
    def no_mechanism(_event):
        if not client.started.done():
            client.started.set_exception(RuntimeError('no usable SASL mechanism (failed_all_auth)'))
    client.add_event_handler('failed_all_auth', no_mechanism)


async def saslcert_disable(c, cmd):
    """XEP-0257 §2.3 disable of the certificate `name`; an IQ error becomes the command's error."""
    from slixmpp.xmlstream import ET
    iq = c.Iq(stype='set')
    el = ET.Element('{urn:xmpp:saslcert:1}disable')
    ET.SubElement(el, '{urn:xmpp:saslcert:1}name').text = cmd['name']
    iq.append(el)
    await iq.send(timeout=5)
    return {}


COMMANDS = {'saslcert_disable': saslcert_disable}

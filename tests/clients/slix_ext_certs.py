"""Certificate accounts (docs/certificates.md) for the slixmpp driver: `connect` takes certfile/keyfile
and mech EXTERNAL; a sign-in that finds no usable mechanism (EXTERNAL not offered for the certificate)
ends the connect with an error instead of waiting for its timeout."""


def attach(client):
    def no_mechanism(_event):
        if not client.started.done():
            client.started.set_exception(RuntimeError('no usable SASL mechanism (failed_all_auth)'))
    client.add_event_handler('failed_all_auth', no_mechanism)

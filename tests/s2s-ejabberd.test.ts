// Federation with Debian's ejabberd on loopback: a private ejabberd (s2s_use_starttls: required, no dialback module, the
// test CA) and an embedded Parley, each with a real xmpp.js client: subscription both ways,
// presence both ways, messages both ways (RFC 6120 s2s with STARTTLS and SASL EXTERNAL, XEP-0178).
// ejabberd finds Parley through a test DNS server (SRV, ERL_INETRC), Parley finds ejabberd through static hosts.
import assert from 'node:assert/strict';
import { federationWith } from './s2s-federation.ts';
import { PrivateEjabberd } from './s2s-ejabberd.ts';

const domain = 'ejabberd.example';

federationWith({
  name: 'ejabberd',
  domain,
  start: (o) => PrivateEjabberd.start(o),
  checkLog(log, parley) {
    // ejabberd checked our certificate and accepted SASL EXTERNAL both ways; no dialback key was exchanged.
    assert.match(log, new RegExp(`Accepted inbound s2s EXTERNAL authentication ${parley} -> ${domain}`));
    assert.match(log, new RegExp(`Accepted outbound s2s EXTERNAL authentication ${domain} -> ${parley}`));
    assert.doesNotMatch(log, /<db:(result|verify)/);
  },
});

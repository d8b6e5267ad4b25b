// Federation with Debian's Prosody on loopback: a private Prosody (s2s_secure_auth = true, the
// test CA) and an embedded Parley, each with a real xmpp.js client: subscription both ways,
// presence both ways, messages both ways (RFC 6120 s2s with STARTTLS and SASL EXTERNAL, XEP-0178).
// Prosody finds Parley through a test DNS server (SRV), Parley finds Prosody through static hosts.
import assert from 'node:assert/strict';
import { federationWith } from './s2s-federation.ts';
import { PrivateProsody } from './s2s-prosody.ts';

const domain = 'prosody.example';

federationWith({
  name: 'Prosody',
  domain,
  start: (o) => PrivateProsody.start(o),
  checkLog(log, parley) {
    // Prosody checked our certificate (chain and name) and accepted SASL EXTERNAL both ways; no dialback.
    assert.match(log, new RegExp(`Accepting SASL EXTERNAL identity from ${parley}`));
    assert.match(log, new RegExp(`SASL EXTERNAL with ${parley} succeeded`));
    assert.match(log, /certificate identity validation result: valid/);
    assert.doesNotMatch(log, /dialback/i);
  },
});

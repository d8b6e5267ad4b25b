-- Certificate accounts (docs/certificates.md): the server's client CA and the client certificates
-- that may sign in with SASL EXTERNAL (XEP-0178 §2), issued by that CA (`parley cert issue`, the
-- CSR ad-hoc command) or registered by their owner (XEP-0257). Every edge reads these rows at each
-- sign-in, so a revocation holds cluster-wide at once.

-- One client CA per served domain. The private key is PKCS#8 PEM, encrypted with
-- PARLEY_CERT_CA_PASSPHRASE when that is set (key_encrypted); edges only ever read cert_pem.
CREATE TABLE client_ca (
  domain        text COLLATE "C" PRIMARY KEY,
  cert_pem      text NOT NULL,
  key_pem       text NOT NULL,
  key_encrypted boolean NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- A certificate is known by the SHA-256 of its DER form (colon-separated upper-case hex, as
-- X509Certificate.fingerprint256 prints it). Only 'active' ones sign in; 'disabled' (XEP-0257
-- §2.3) and 'revoked' (§2.4) rows stay so the CLI can show them and a revoked one cannot come back.
-- `manage` false: XEP-0257 <no-cert-management/>, a session signed in with it may not manage certificates.
CREATE TABLE client_certs (
  fingerprint text COLLATE "C" PRIMARY KEY,
  domain      text COLLATE "C" NOT NULL,
  username    text COLLATE "C" NOT NULL,
  name        text NOT NULL,
  cert_pem    text NOT NULL,
  source      text NOT NULL CHECK (source IN ('issued', 'registered')),
  manage      boolean NOT NULL DEFAULT true,
  state       text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'disabled', 'revoked')),
  not_after   timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  changed_at  timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (domain, username) REFERENCES users (domain, username) ON DELETE CASCADE
);
-- XEP-0257 names an account's certificates: unique among those still listed.
CREATE UNIQUE INDEX client_certs_active_name ON client_certs (domain, username, name) WHERE state = 'active';
CREATE INDEX client_certs_account ON client_certs (domain, username);

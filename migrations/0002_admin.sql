-- Administration (issue 16): locked accounts, the admin API's bearer tokens and its audit log.

-- A locked account keeps its data but cannot sign in: SASL fails exactly as for a wrong password.
ALTER TABLE users ADD COLUMN locked boolean NOT NULL DEFAULT false;

-- Bearer tokens of the admin API. Only a SHA-256 of the 256-bit random secret is stored: the
-- secret's entropy makes a slow hash unnecessary, and a database dump cannot be replayed as a token.
CREATE TABLE admin_tokens (
  id          text COLLATE "C" PRIMARY KEY,
  name        text NOT NULL,
  role        text NOT NULL CHECK (role IN ('read-only', 'operator', 'admin')),
  secret_hash text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  text NOT NULL,
  revoked_at  timestamptz
);

-- Every change made through the admin API or CLI: who, what, to what, when.
CREATE TABLE admin_audit (
  id     bigserial PRIMARY KEY,
  at     timestamptz NOT NULL DEFAULT now(),
  actor  text NOT NULL,
  action text NOT NULL,
  target text NOT NULL,
  detail text
);
CREATE INDEX admin_audit_at ON admin_audit (at DESC, id DESC);

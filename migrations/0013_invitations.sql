-- Invitations (XEP-0379 pre-authenticated roster subscriptions; XEP-0401 account invitations once
-- in-band registration exists). The secret token is never stored: only its SHA-256, like admin tokens.
-- A token is single use (used_at), expires (expires_at) and can be revoked (revoked_at).
CREATE TABLE invitations (
  id          text PRIMARY KEY,
  token_hash  text NOT NULL UNIQUE,
  domain      text COLLATE "C" NOT NULL,
  inviter     text COLLATE "C",
  kind        text NOT NULL CHECK (kind IN ('roster', 'account')),
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  used_by     text,
  revoked_at  timestamptz
);
CREATE INDEX invitations_inviter ON invitations (domain, inviter, created_at);

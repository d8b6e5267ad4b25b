-- XEP-0484 FAST tokens. Only SHA-256 of each token is kept (base64): it is also the token's
-- effective HMAC key (RFC 2104 §2, tokens are longer than the hash block), so the token itself is
-- never stored. Two slots per client, keyed by its XEP-0388 user-agent id (XEP-0484 §5: 'current'
-- and 'new'). Removed with the account; all removed when the password changes.
CREATE TABLE fast_tokens (
  domain      text COLLATE "C" NOT NULL,
  username    text COLLATE "C" NOT NULL,
  client_id   text COLLATE "C" NOT NULL,
  slot        text NOT NULL CHECK (slot IN ('current', 'new')),
  token_hash  text NOT NULL,
  mechanism   text NOT NULL,
  expires_at  timestamptz NOT NULL,
  -- XEP-0484 §3.4: the highest <fast count=/> accepted for this token (replay protection).
  last_count  bigint,
  user_agent  text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (domain, username, client_id, slot),
  FOREIGN KEY (domain, username) REFERENCES users (domain, username) ON DELETE CASCADE
);

-- External components (XEP-0114): one row per component domain. The handshake needs the secret
-- itself (SHA-1 of stream id + secret, §3), so it cannot be stored as a one-way hash: it is kept
-- encrypted (AES-256-GCM under a key derived from PARLEY_SERVER_SECRET), never in clear
-- (decision 0025).
CREATE TABLE components (
  domain text PRIMARY KEY,
  secret_sealed text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

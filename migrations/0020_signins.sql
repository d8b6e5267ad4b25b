-- Sign-in history and alerts (extensions/src/signins): why a sign-in failed or was refused, the
-- client identity used to tell a new client from a known one, per-account policies, and alerts
-- kept for the account's next session (offline storage does not keep headlines, RFC 6121 §8.5.2.2.1).
ALTER TABLE login_history ADD COLUMN reason text;
ALTER TABLE login_history ADD COLUMN client_key text;
-- The retention sweep deletes by age across all accounts.
CREATE INDEX login_history_at ON login_history (at);

CREATE TABLE signin_settings (
  domain           text COLLATE "C" NOT NULL,
  username         text COLLATE "C" NOT NULL,
  -- allow | alert | refuse | replace; NULL: the server's default
  multi_login      text,
  -- seconds; 0 off; NULL: the server's default
  idle_timeout_sec integer,
  PRIMARY KEY (domain, username),
  FOREIGN KEY (domain, username) REFERENCES users (domain, username) ON DELETE CASCADE
);

CREATE TABLE signin_alerts (
  id       bigserial PRIMARY KEY,
  domain   text COLLATE "C" NOT NULL,
  username text COLLATE "C" NOT NULL,
  at       timestamptz NOT NULL DEFAULT now(),
  body     text NOT NULL,
  FOREIGN KEY (domain, username) REFERENCES users (domain, username) ON DELETE CASCADE
);
CREATE INDEX signin_alerts_user ON signin_alerts (domain, username, id);

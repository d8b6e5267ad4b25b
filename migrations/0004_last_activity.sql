-- XEP-0012 last activity of accounts: when the account's last visible resource went away, and
-- the status of its unavailable presence. owner is a bare JID; removed with the account.
CREATE TABLE last_activity (
  owner  text COLLATE "C" PRIMARY KEY,
  at     timestamptz NOT NULL,
  status text
);

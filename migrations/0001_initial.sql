-- Parley initial schema. Plain PostgreSQL that both PGlite and Postgres 15+ run.
-- Identifiers are COLLATE "C" so ordering (user listings) is byte order everywhere,
-- independent of the server's locale.

CREATE TABLE users (
  domain     text COLLATE "C" NOT NULL,
  username   text COLLATE "C" NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (domain, username)
);

-- SCRAM salted keys only (RFC 5802 §3); there is deliberately no password column.
CREATE TABLE scram_credentials (
  domain     text COLLATE "C" NOT NULL,
  username   text COLLATE "C" NOT NULL,
  hash       text NOT NULL CHECK (hash IN ('SHA-1', 'SHA-256', 'SHA-512')),
  salt       text NOT NULL,
  iterations integer NOT NULL CHECK (iterations > 0),
  stored_key text NOT NULL,
  server_key text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (domain, username, hash),
  FOREIGN KEY (domain, username) REFERENCES users (domain, username) ON DELETE CASCADE
);

-- owner and contact are bare JIDs. Rows of a deleted user are removed by the store
-- (UserRepo.delete) in the same transaction as the user row.
CREATE TABLE roster_items (
  owner        text COLLATE "C" NOT NULL,
  contact      text COLLATE "C" NOT NULL,
  name         text,
  subscription text NOT NULL DEFAULT 'none' CHECK (subscription IN ('none', 'to', 'from', 'both')),
  ask          text CHECK (ask IS NULL OR ask = 'subscribe'),
  pending_in   boolean NOT NULL DEFAULT false,
  approved     boolean NOT NULL DEFAULT false,
  hidden       boolean NOT NULL DEFAULT false,
  groups       text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (owner, contact)
);

-- XEP-0237 roster versions come from one sequence, so a deleted and re-created account never
-- reuses a version a client may still have cached.
CREATE SEQUENCE roster_version_seq;

CREATE TABLE roster_versions (
  owner   text COLLATE "C" PRIMARY KEY,
  version bigint NOT NULL
);

CREATE TABLE offline_messages (
  id         bigserial PRIMARY KEY,
  owner      text COLLATE "C" NOT NULL,
  stanza     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX offline_messages_owner_id ON offline_messages (owner, id);

CREATE TABLE login_history (
  id        bigserial PRIMARY KEY,
  domain    text COLLATE "C" NOT NULL,
  username  text COLLATE "C" NOT NULL,
  at        timestamptz NOT NULL DEFAULT now(),
  ip        text NOT NULL,
  client    text,
  resource  text,
  mechanism text NOT NULL,
  success   boolean NOT NULL,
  FOREIGN KEY (domain, username) REFERENCES users (domain, username) ON DELETE CASCADE
);
CREATE INDEX login_history_user_at ON login_history (domain, username, at DESC);

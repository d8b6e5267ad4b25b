-- Privacy (XEP-0016 privacy lists, XEP-0191 blocking as a front end to the default list,
-- XEP-0186 invisibility). owner is a bare JID; rows of a deleted user are removed by the store
-- (UserRepo.delete) in the same transaction as the user row.

-- items: [{type, value, action, order, stanzas}] in ascending order (XEP-0016 §2.1).
CREATE TABLE privacy_lists (
  owner text COLLATE "C" NOT NULL,
  name  text COLLATE "C" NOT NULL,
  items jsonb NOT NULL,
  PRIMARY KEY (owner, name)
);

-- XEP-0016 §2.2 rule 2: the default list applies to the user as a whole, online or not.
CREATE TABLE privacy_defaults (
  owner text COLLATE "C" PRIMARY KEY,
  name  text COLLATE "C" NOT NULL,
  FOREIGN KEY (owner, name) REFERENCES privacy_lists (owner, name)
);

-- Per-connection privacy state: the active list (XEP-0016 §2.2 rule 1), invisibility and who was
-- sent directed presence while invisible (XEP-0186 §3.1), interest in blocklist pushes (XEP-0191
-- §3.3). Keyed by connection id: a row whose connection is no longer in the location service is
-- ignored by every reader, so a crash leaves nothing that applies to a later session.
CREATE TABLE privacy_sessions (
  owner              text COLLATE "C" NOT NULL,
  conn               text COLLATE "C" NOT NULL,
  jid                text COLLATE "C" NOT NULL,
  active             text COLLATE "C",
  invisible          boolean NOT NULL DEFAULT false,
  allowed            text[] NOT NULL DEFAULT '{}',
  blocklist_interest boolean NOT NULL DEFAULT false,
  PRIMARY KEY (owner, conn)
);

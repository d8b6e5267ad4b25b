-- XEP-0357 push notifications: the app servers (and their nodes) an account enabled, with the
-- publish-options form the client gave (serialized, or null). owner is a bare JID; removed with the account.
CREATE TABLE push_registrations (
  owner   text COLLATE "C" NOT NULL,
  service text COLLATE "C" NOT NULL,
  node    text COLLATE "C" NOT NULL,
  options text,
  created timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (owner, service, node)
);

-- Personal eventing (XEP-0163): one pubsub service per account on its bare JID. owner is a bare
-- JID; an account's nodes (and with them their items and subscriptions) are removed with it
-- (UserRepo.delete).

-- config: the node configuration (XEP-0060 §16.4 pubsub#node_config) as JSON; affiliations:
-- {jid: 'member' | 'publisher' | 'outcast'} (XEP-0060 §4.1, the whitelist access model).
CREATE TABLE pep_nodes (
  owner        text COLLATE "C" NOT NULL,
  node         text COLLATE "C" NOT NULL,
  config       jsonb NOT NULL,
  affiliations jsonb NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (owner, node)
);

-- seq orders items: a republished id becomes the newest (XEP-0060 §7.1.2).
CREATE SEQUENCE pep_item_seq;
CREATE TABLE pep_items (
  owner        text COLLATE "C" NOT NULL,
  node         text COLLATE "C" NOT NULL,
  item_id      text COLLATE "C" NOT NULL,
  payload      text NOT NULL,
  publisher    text NOT NULL,
  published_at timestamptz NOT NULL DEFAULT now(),
  seq          bigint NOT NULL DEFAULT nextval('pep_item_seq'),
  PRIMARY KEY (owner, node, item_id),
  FOREIGN KEY (owner, node) REFERENCES pep_nodes (owner, node) ON DELETE CASCADE
);
CREATE INDEX pep_items_newest ON pep_items (owner, node, seq DESC);

-- Explicit subscriptions (XEP-0060 §6.1) besides the implicit +notify interest of XEP-0163 §4.
CREATE TABLE pep_subscriptions (
  owner text COLLATE "C" NOT NULL,
  node  text COLLATE "C" NOT NULL,
  jid   text COLLATE "C" NOT NULL,
  PRIMARY KEY (owner, node, jid),
  FOREIGN KEY (owner, node) REFERENCES pep_nodes (owner, node) ON DELETE CASCADE
);

-- XEP-0115 §5.4: a verified caps hash names one feature set forever, so the cache is shared by
-- the whole cluster and never invalidated.
CREATE TABLE caps_features (
  hash       text COLLATE "C" NOT NULL,
  ver        text COLLATE "C" NOT NULL,
  features   text[] NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (hash, ver)
);

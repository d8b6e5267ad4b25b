-- Profile data (issue 12): vCard-temp (XEP-0054), private XML storage (XEP-0049), the opt-in user
-- directory (XEP-0055) and HTTP file upload slots (XEP-0363). Owners are bare JIDs; rows are
-- removed with the account.

-- XEP-0054 §3.2: one vCard per account, stored as the client sent it (serialized <vCard/>).
CREATE TABLE vcards (
  owner      text COLLATE "C" PRIMARY KEY,
  xml        text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- XEP-0049 §2: one fragment per (account, namespace of the stored element).
CREATE TABLE private_storage (
  owner text COLLATE "C" NOT NULL,
  ns    text COLLATE "C" NOT NULL,
  xml   text NOT NULL,
  PRIMARY KEY (owner, ns)
);

-- XEP-0055 directory: only what a user published, field by field, with who may find it by that field.
CREATE TABLE directory_fields (
  owner      text COLLATE "C" NOT NULL,
  field      text COLLATE "C" NOT NULL,
  value      text NOT NULL,
  visibility text NOT NULL CHECK (visibility IN ('everyone', 'contacts', 'nobody')),
  PRIMARY KEY (owner, field)
);
CREATE INDEX directory_fields_search ON directory_fields (field, lower(value)) WHERE visibility <> 'nobody';

-- XEP-0363 upload slots: a slot is granted (uploaded_at NULL) then filled by one PUT before
-- put_expires_at; the file is removed at file_expires_at. The quota counts the sizes of live slots.
CREATE TABLE upload_slots (
  id              text COLLATE "C" PRIMARY KEY,
  owner           text COLLATE "C" NOT NULL,
  filename        text NOT NULL,
  size            bigint NOT NULL,
  content_type    text NOT NULL,
  -- SHA-256 of the slot's PUT secret (the secret itself is only in the client's slot answer).
  secret_hash     text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  put_expires_at  timestamptz NOT NULL,
  file_expires_at timestamptz NOT NULL,
  uploaded_at     timestamptz
);
CREATE INDEX upload_slots_owner ON upload_slots (owner);
CREATE INDEX upload_slots_expiry ON upload_slots (file_expires_at);

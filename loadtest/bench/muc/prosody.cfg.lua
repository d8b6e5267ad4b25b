-- Prosody 0.12 (Debian) for the MUC benchmark (loadtest/bench/muc.sh): loopback, its own ports
-- (18222 STARTTLS), state under $PARLEY_MUCBENCH_DIR/prosody, run in the foreground by the script.
local dir = assert(os.getenv("PARLEY_MUCBENCH_DIR"), "PARLEY_MUCBENCH_DIR not set") .. "/prosody"

run_as_root = true -- the benchmark machine runs everything as root
daemonize = false
pidfile = dir .. "/prosody.pid"
data_path = dir .. "/data"
log = { warn = dir .. "/prosody.log" }

interfaces = { "127.0.0.1" }
c2s_ports = { 18222 }
c2s_direct_tls_ports = { }
s2s_ports = { }
http_ports = { }
https_ports = { }
component_ports = { }

modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping"; "presence"; "message"; "iq"; "posix" }
modules_disabled = { "s2s"; "offline"; "carbons"; "pep"; "mam"; "smacks" }

authentication = "internal_hashed"
storage = "internal"
c2s_require_encryption = true
allow_unencrypted_plain_auth = false

-- No rate limiting: we measure throughput, not the limiter.
limits = {}

certificates = dir .. "/certs"

VirtualHost "localhost"
  ssl = { certificate = dir .. "/certs/localhost.crt", key = dir .. "/certs/localhost.key" }

-- Any local user may create a room (new rooms stay locked until the creator submits the form).
-- History and occupant limits keep their defaults; mod_muc_limits is not loaded: no room rate limit.
Component "conference.localhost" "muc"
  restrict_room_creation = false

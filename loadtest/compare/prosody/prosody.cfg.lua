-- Prosody on loopback with alternative ports, for the load-generator cross-check (run.sh).
-- State lives under $PARLEY_COMPARE_DIR/prosody; nothing touches /etc/prosody or the standard ports.
local dir = assert(os.getenv("PARLEY_COMPARE_DIR"), "PARLEY_COMPARE_DIR not set") .. "/prosody"

run_as_root = true -- the cross-check runs as root in a throwaway machine
daemonize = false
pidfile = dir .. "/prosody.pid"
data_path = dir .. "/data"
log = { info = dir .. "/prosody.log" }

interfaces = { "127.0.0.1" }
c2s_ports = { 15222 }
c2s_direct_tls_ports = { 15223 }
s2s_ports = { }
http_ports = { 15280 }
http_interfaces = { "127.0.0.1" }
https_ports = { }
component_ports = { }

modules_enabled = {
  "roster"; "saslauth"; "tls"; "disco"; "ping"; "presence"; "message"; "iq"; "posix";
  "websocket"; "http";
}
modules_disabled = { "s2s"; "offline"; "carbons"; "pep"; "mam" }

authentication = "internal_hashed"
storage = "internal"
c2s_require_encryption = true
allow_unencrypted_plain_auth = false
consider_websocket_secure = true
cross_domain_websocket = true

-- No rate limiting: we measure throughput, not the limiter.
limits = {}

certificates = dir .. "/certs"

VirtualHost "localhost"
  ssl = { certificate = dir .. "/certs/localhost.crt", key = dir .. "/certs/localhost.key" }

Component "conference.localhost" "muc"

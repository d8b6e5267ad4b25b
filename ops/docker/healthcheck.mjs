// The image's HEALTHCHECK: GET /healthz where this process serves it, the ops port in cluster mode
// (PARLEY_NATS_URL set) or the HTTP listener in embedded mode. Exit 0 healthy, 1 not.
const env = process.env;
const port = env.PARLEY_NATS_URL ? (env.PARLEY_OPS_PORT ?? '9464') : (env.PARLEY_HTTP_PORT ?? '5280');
try {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2500) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}

# syntax=docker/dockerfile:1
# Parley's container image: the same `npm run build` bundle as `make run`, on a slim Node runtime.
#   docker build -t parley .
#   docker run --read-only --tmpfs /tmp -v parley-data:/var/lib/parley -p 5222:5222 -p 5223:5223 -p 5280:5280 parley
# One image for every role: `start` (embedded), `start --role edge|session|presence|chatroom|admin`, `migrate`, `user …`.
ARG NODE_IMAGE=node:20-bookworm-slim

# Build: install everything, bundle the CLI with esbuild, then keep only production dependencies.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN npm install --no-audit --no-fund \
 && npm run build \
 && npm prune --omit=dev --omit=optional --no-audit --no-fund \
 && rm -rf node_modules/@parley

# Runtime: no compiler, no npm cache, no sources; tini as PID 1 forwards SIGTERM (the graceful drain)
# and reaps zombies.
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 parley \
 && useradd --system --uid 10001 --gid parley --home-dir /var/lib/parley --no-create-home --shell /usr/sbin/nologin parley \
 && mkdir -p /var/lib/parley \
 && chown parley:parley /var/lib/parley
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/services/cli/package.json ./services/cli/package.json
COPY --from=build /src/services/cli/bin ./services/cli/bin
COPY --from=build /src/services/cli/dist ./services/cli/dist
COPY --from=build /src/migrations ./migrations
COPY --from=build /src/ops/docker/healthcheck.mjs ./healthcheck.mjs
RUN ln -s /app/services/cli/bin/parley.js /usr/local/bin/parley
ENV NODE_ENV=production \
    PARLEY_DATA_DIR=/var/lib/parley \
    PARLEY_BIND_ADDRESS=0.0.0.0
# The only writable places with a read-only root file system: the data directory and /tmp.
VOLUME ["/var/lib/parley", "/tmp"]
USER 10001:10001
EXPOSE 5222 5223 5280 9464 9090
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 CMD ["node", "/app/healthcheck.mjs"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/services/cli/bin/parley.js"]
CMD ["start"]

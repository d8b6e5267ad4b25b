# Parley — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
STAMP := node_modules/.parley-installed
PKGS := package.json package-lock.json $(wildcard libs/*/package.json services/*/package.json extensions/package.json loadtest/package.json)

.PHONY: install system-deps build run test test-unit lint typecheck cluster cluster-stop clean

install: $(STAMP)

# `npm install` honours package-lock.json; `npm ci` refuses it here because the registry this
# machine reaches lacks biome's binaries for other platforms, which npm then leaves out of the lock.
$(STAMP): $(PKGS)
	npm install --no-audit --no-fund
	@touch $@

# Debian packages the tests drive (slixmpp, aioxmpp, chromium, profanity, tmux; promtool unpacked); installed only when missing.
system-deps:
	@bash scripts/ensure-system-deps.sh

build: install
	npm run build

run: build
	node services/cli/bin/parley.js start

typecheck: install
	npm run typecheck

lint: install
	npm run lint

# PostgreSQL, Redis and NATS: used when they answer, else started for the run (scripts/test-services.ts).
test: install system-deps typecheck lint
	node --import tsx scripts/test-services.ts npm test

# Local cluster over the machine's NATS, Redis and Postgres (see README, Cluster mode).
cluster: build
	bash scripts/cluster.sh

cluster-stop:
	bash scripts/cluster.sh stop

clean:
	rm -rf node_modules services/cli/dist loadtest/dist .tools

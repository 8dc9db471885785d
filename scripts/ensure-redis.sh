#!/usr/bin/env bash
# Makes sure a Redis answers at REDIS_URL (default redis://127.0.0.1:6379/0);
# starts a local redis-server when none does.
set -euo pipefail
url="${REDIS_URL:-redis://127.0.0.1:6379/0}"
ping() { redis-cli -u "$url" ping 2>/dev/null | grep -q PONG; }
ping && exit 0
if ! command -v redis-server >/dev/null; then
  echo "ERROR: no Redis answers at $url and redis-server is not installed." >&2
  echo "       Install it (apt-get install redis-server) or set REDIS_URL to a running Redis." >&2
  exit 1
fi
mkdir -p var
echo "Starting a local redis-server on 127.0.0.1:6379"
redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
  --dir "$PWD/var" --logfile "$PWD/var/redis.log"
for _ in $(seq 50); do ping && exit 0; sleep 0.1; done
echo "ERROR: redis-server did not answer at $url; see var/redis.log" >&2
exit 1

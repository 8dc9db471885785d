#!/usr/bin/env bash
# Installs the Debian packages the app needs, only those missing.
#   gettext        compilemessages (zh-hans / en)
#   redis-server   Celery's broker, when no Redis runs yet
#   chromium, fonts-noto-cjk   (with --test) browser tests and screenshots with Chinese glyphs
set -euo pipefail
need=()
command -v msgfmt >/dev/null || need+=(gettext)
command -v redis-server >/dev/null || redis-cli -u "${REDIS_URL:-redis://127.0.0.1:6379/0}" ping >/dev/null 2>&1 || need+=(redis-server)
if [[ "${1:-}" == "--test" ]]; then
  [[ -x /usr/bin/chromium ]] || need+=(chromium)
  fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
fi
[[ ${#need[@]} -eq 0 ]] && exit 0

echo "Installing Debian packages: ${need[*]}"
if [[ $(id -u) -eq 0 ]]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
  echo "ERROR: missing ${need[*]} and no root/sudo to install them. Run: apt-get install ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

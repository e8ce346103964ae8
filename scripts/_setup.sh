# Shared by scripts/demo and scripts/test: system packages and the virtual environment.
# Sourced, with EXTRAS="[test]" for the test dependencies, WITH_BROWSER=1 for Debian's chromium and
# WITH_COMPOSE=1 for a compose command line; FRESH_VENV=1 rebuilds .venv from nothing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else
    echo "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)" >&2; exit 1
  fi
fi

# Read the lists whole: with pipefail, `ldconfig -p | grep -q` fails when grep stops reading early.
libs="$(ldconfig -p 2>/dev/null || true)"
fonts="$(fc-list 2>/dev/null || true)"
has_lib() { grep -qF "$1" <<<"$libs"; }
need_apt=()
# WeasyPrint renders PDFs with Pango, subsets fonts with HarfBuzz, and needs Noto CJK for Chinese.
has_lib libpango-1.0.so.0 || need_apt+=(libpango-1.0-0)
has_lib libpangoft2-1.0.so.0 || need_apt+=(libpangoft2-1.0-0)
has_lib libharfbuzz-subset.so.0 || need_apt+=(libharfbuzz-subset0)
grep -qi "Noto Sans CJK" <<<"$fonts" || need_apt+=(fonts-noto-cjk)
# psycopg2 is built from source against libpq; compilemessages calls msgfmt.
command -v pg_config >/dev/null 2>&1 || need_apt+=(libpq-dev)
command -v gcc >/dev/null 2>&1 || need_apt+=(gcc)
command -v msgfmt >/dev/null 2>&1 || need_apt+=(gettext)
if [ "${WITH_BROWSER:-0}" = 1 ] && [ ! -x /usr/bin/chromium ]; then need_apt+=(chromium); fi
# tests/test_deploy_files.py validates docker-compose.yml with a real compose implementation.
if [ "${WITH_COMPOSE:-0}" = 1 ] && ! docker compose version >/dev/null 2>&1 \
    && ! command -v docker-compose >/dev/null 2>&1; then
  need_compose=(docker-compose)
else
  need_compose=()
fi
if [ $((${#need_apt[@]} + ${#need_compose[@]})) -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "installing system packages: ${need_apt[*]} ${need_compose[*]}"
    apt-get update -qq
    export DEBIAN_FRONTEND=noninteractive
    [ ${#need_apt[@]} -eq 0 ] || apt-get install -y -qq "${need_apt[@]}" >/dev/null
    # Only the command line: its recommended container engine is not wanted here.
    [ ${#need_compose[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends "${need_compose[@]}" >/dev/null
  else
    echo "please install: ${need_apt[*]} ${need_compose[*]}" >&2
  fi
fi

if [ "${FRESH_VENV:-0}" = 1 ]; then rm -rf .venv; fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
pip_log="$(mktemp)"
if ! { .venv/bin/pip install -q --upgrade pip && .venv/bin/pip install -q -e ".${EXTRAS:-}"; } >"$pip_log" 2>&1; then
  cat "$pip_log" >&2
  rm -f "$pip_log"
  echo "installing the Python packages failed" >&2
  exit 1
fi
rm -f "$pip_log"

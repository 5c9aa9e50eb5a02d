# Sourced by scripts/test.sh: the real components the tests talk to.
#  - PostgreSQL on 127.0.0.1:5432 (trust for local connections): started when it is
#    installed but not running, installed from Debian's packages when absent;
#  - Debian's chromium for the page tests (Playwright drives it; no browser download).
# Set MEDEX_TEST_POSTGRES_URL to use another server instead.
pg_ready() {
    python - <<'PY' 2>/dev/null
import os, sys
import psycopg
url = os.environ.get("MEDEX_TEST_POSTGRES_URL",
                     "postgresql://postgres@127.0.0.1:5432/postgres").replace("+psycopg", "")
try:
    psycopg.connect(url, connect_timeout=3).close()
except Exception:
    sys.exit(1)
PY
}

apt_install() {
    if [ "$(id -u)" != 0 ]; then
        echo "services.sh: need root to apt-get install $*" >&2
        return 1
    fi
    if [ -z "${MEDEX_APT_UPDATED:-}" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        MEDEX_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! pg_ready; then
    if [ -z "${MEDEX_TEST_POSTGRES_URL:-}" ]; then
        if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
            echo "services.sh: installing PostgreSQL" >&2
            apt_install postgresql
        fi
        version="$(ls /etc/postgresql | sort -V | tail -1)"
        hba="/etc/postgresql/$version/main/pg_hba.conf"
        if ! grep -q "medex-test" "$hba"; then
            # the tests connect as postgres over TCP without a password (local machine only)
            sed -i '1i host all all 127.0.0.1/32 trust # medex-test\nhost all all ::1/128 trust # medex-test' "$hba"
        fi
        pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
            || pg_ctlcluster --skip-systemctl-redirect "$version" main reload
        for _ in $(seq 30); do pg_ready && break; sleep 1; done
    fi
    pg_ready || { echo "services.sh: PostgreSQL is not reachable" >&2; exit 1; }
fi

if [ ! -x /usr/bin/chromium ]; then
    echo "services.sh: installing Debian's chromium" >&2
    apt_install chromium
fi

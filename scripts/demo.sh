#!/usr/bin/env bash
# The main job on a fresh machine: the planner's service on demo data.  Migrates the
# SQLite database (medex.db here), loads a demo week on real Belgian data when it is empty,
# and serves the pages and the API; prints the URL and the demo logins.  Extra arguments go
# to `medex serve` (e.g. --port 8080 --convocations 1000).  `medex demo` still runs the
# command-line loop (build a week, plan it, check it, print a summary).
source "$(dirname "$0")/bootstrap.sh"
exec medex serve "$@"

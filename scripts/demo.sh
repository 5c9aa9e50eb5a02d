#!/usr/bin/env bash
# The main job on a fresh machine: build a demo week from real Belgian data, plan it,
# check the schedule independently and print a summary.  Extra arguments go to `medex demo`.
source "$(dirname "$0")/bootstrap.sh"
exec medex demo "$@"

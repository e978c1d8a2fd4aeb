#!/usr/bin/env bash
# After `caseweave demo --no-serve`: serve the API briefly, log in as analyst.gb with the printed
# password, list the operation's notes, and stop. Fails loudly if any step does not answer.
set -euo pipefail
bin=$1 log=$2 port=$3
password=$(grep -E '│ analyst\.gb ' "$log" | awk -F'│' '{gsub(/ /,"",$5); print $5}')
[ -n "$password" ] || { echo "demo-check: no password for analyst.gb in $log" >&2; exit 1; }
"$bin/caseweave" serve --port "$port" >.demo-serve.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
token=$(curl -sf -X POST "http://127.0.0.1:$port/auth/login" -H 'content-type: application/json' \
  -d "{\"username\": \"analyst.gb\", \"password\": \"$password\"}" | "$bin/python" -c 'import json,sys; print(json.load(sys.stdin)["token"])')
notes=$(curl -sf "http://127.0.0.1:$port/operations/1/notes" -H "authorization: Bearer $token" \
  | "$bin/python" -c 'import json,sys; print(len(json.load(sys.stdin)))')
echo "demo-check: API answered on 127.0.0.1:$port; analyst.gb logged in and sees $notes notes"

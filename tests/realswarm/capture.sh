#!/usr/bin/env bash
# Records a manager's Engine API answers as swarmplan reads them (GET /info,
# /nodes, /networks with each overlay's Peers from its inspect, /services,
# /tasks at API 1.30) into DIR, for tests that read a live state offline
# (tests/docker_fakes.hpp Recorded).
#   capture.sh SOCKET DIR      e.g. capture.sh /run/sprd1/docker.sock tests/data/engine-api/diagnose-full
set -euo pipefail
sock=$1 dir=$2
mkdir -p "$dir"
get() { curl -sf --unix-socket "$sock" "http://localhost/v1.30$1"; }
for p in info nodes services tasks; do get "/$p" | python3 -m json.tool --indent 1 > "$dir/$p.json"; done
get /networks > "$dir/networks.raw"
python3 - "$dir" "$sock" <<'PY'
import json, subprocess, sys
d, sock = sys.argv[1], sys.argv[2]
nets = json.load(open(d + "/networks.raw"))
for n in nets:
    if n.get("Driver") == "overlay":
        one = json.loads(subprocess.check_output(["curl", "-sf", "--unix-socket", sock, "http://localhost/v1.30/networks/" + n["Id"]]))
        if "Peers" in one:
            n["Peers"] = one["Peers"]
json.dump(nets, open(d + "/networks.json", "w"), indent=1)
PY
rm "$dir/networks.raw"

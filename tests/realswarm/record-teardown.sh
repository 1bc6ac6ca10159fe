#!/usr/bin/env bash
# Records what a drain does on the drained node's daemon, container by
# container, for the teardown timings (docs/timings.md, "Measured
# 2026-11-29"). Not part of CI: run it with nothing else on the machine.
#
#   record-teardown.sh RUNS OUT.jsonl [DEBUGDIR]
#
# The scenario is drain1-2n (2 nodes, /27, 26 replicas of `busybox sleep`
# with a 2 s stop grace on node1, node2 paused; then node2 activated and
# node1 drained). For each run it keeps node1's `docker events` (SIGTERM,
# SIGKILL, death, overlay endpoint disconnect, stop) and every task's
# SHUTDOWN as its worker stamped it, and appends one JSON line: times in
# seconds after the drain command, one entry per container of the drained
# node, in SHUTDOWN order. With DEBUGDIR the daemons run with --debug and
# their logs are copied there (the libnetwork steps of each teardown, the
# allocator's and dispatcher's actions).
set -euo pipefail
RUNS=$1 OUT=$2 DEBUGDIR=${3:-}
P=${SWARMPLAN_RS_PREFIX:-sprm}
HERE=$(cd "$(dirname "$0")" && pwd)
export SWARMPLAN_RS_PREFIX=$P
[ -n "$DEBUGDIR" ] && export SWARMPLAN_RS_DEBUG=1 && mkdir -p "$DEBUGDIR"
SW="bash $HERE/swarm.sh"
WORK=$(mktemp -d)
trap '$SW down >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
dk() { local i=$1; shift; docker -H "unix:///run/${P}$i/docker.sock" "$@"; }

$SW down >/dev/null 2>&1 || true
$SW up 2 1 >/dev/null
for run in $(seq 1 "$RUNS"); do
  dk 1 node update --availability pause node2 >/dev/null
  dk 1 network create -d overlay --subnet 10.10.0.0/27 exnet >/dev/null
  dk 1 service create -d --name ex --replicas 26 --network exnet --no-resolve-image \
    --stop-grace-period 2s local/bb:1 sleep 100000 >/dev/null
  for _ in $(seq 1 120); do
    n=$(dk 1 service ps ex --filter desired-state=running --format '{{.CurrentState}}' | grep -c '^Running' || true)
    [ "$n" = 26 ] && break
    sleep 2
  done
  sleep 5
  since=$(date +%s.%N)
  docker -H "unix:///run/${P}1/docker.sock" events --since "$since" --format '{{json .}}' > "$WORK/events" &
  EVENTS=$!
  sleep 0.5
  acted=$(date +%s.%N)
  dk 1 node update --availability active node2 >/dev/null
  dk 1 node update --availability drain node1 >/dev/null
  sleep 45
  kill "$EVENTS" 2>/dev/null || true
  wait "$EVENTS" 2>/dev/null || true
  curl -s --unix-socket "/run/${P}1/docker.sock" 'http://d/v1.41/tasks' > "$WORK/tasks"
  [ -n "$DEBUGDIR" ] && cp "/run/${P}-state/${P}1.log" "$DEBUGDIR/node1-$run.log" && echo "$acted" > "$DEBUGDIR/acted-$run"
  jq -s -c --argjson acted "$acted" --argjson run "$run" --argjson debug "$([ -n "$DEBUGDIR" ] && echo true || echo false)" '
    def secs: sub("\\.(?<f>[0-9]+)Z$"; "Z") as $s | (.|capture("\\.(?<f>[0-9]+)Z$").f // "0") as $f
              | ($s | fromdateiso8601) + ("0." + $f | tonumber);
    (.[0]) as $tasks | (.[1:] | map(select(.timeNano / 1e9 >= $acted and .timeNano / 1e9 <= $acted + 45))) as $ev |
    ($tasks | map(select(.Status.State == "shutdown" and .Status.ContainerStatus.ContainerID != null)
              | {key: .Status.ContainerStatus.ContainerID[0:12], value: ((.Status.Timestamp | secs) - $acted)}) | from_entries) as $shut |
    def r4: if . == null then null else (. * 10000 | round) / 10000 end;
    def at(f): ([$ev[] | select(f) | .timeNano / 1e9 - $acted] | min | r4);
    {scenario: "drain1-2n", run: $run, debug_log: $debug, node: "node1",
     containers: ([$ev[] | select(.Type == "container" and .Action == "kill" and .Actor.Attributes.signal == "15") | .id[0:12]] | unique
       | map(. as $c | {container: $c,
           sigterm: at(.Type == "container" and (.id[0:12]) == $c and .Action == "kill" and .Actor.Attributes.signal == "15"),
           sigkill: at(.Type == "container" and (.id[0:12]) == $c and .Action == "kill" and .Actor.Attributes.signal == "9"),
           die: at(.Type == "container" and (.id[0:12]) == $c and .Action == "die"),
           disconnect_exnet: at(.Type == "network" and .Action == "disconnect" and .Actor.Attributes.name == "exnet" and (.Actor.Attributes.container[0:12]) == $c),
           stop: at(.Type == "container" and (.id[0:12]) == $c and .Action == "stop"),
           shutdown: ($shut[$c] | r4)})
       | sort_by(.shutdown // 99))}' "$WORK/tasks" "$WORK/events" >> "$OUT"
  dk 1 service rm ex >/dev/null
  for _ in $(seq 1 60); do
    [ -z "$(dk 1 ps -q; dk 2 ps -q)" ] && break
    sleep 1
  done
  for _ in $(seq 1 30); do dk 1 network rm exnet >/dev/null 2>&1 && break; sleep 1; done
  for i in 1 2; do dk 1 node update --availability active "node$i" >/dev/null; done
  sleep 3
done

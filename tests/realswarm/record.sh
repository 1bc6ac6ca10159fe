#!/usr/bin/env bash
# Records repeated runs of one conformance scenario on a real swarm, for the
# statistical conformance test (tests/observed_runs_test.cpp) and for the
# timing constants (docs/timings.md). Not part of CI: a recording takes tens
# of minutes and must run with nothing else loading the machine.
#
#   record.sh SCENARIO RUNS OUT.jsonl
#
# SCENARIO is one of
#   deploy2-27-28  2 nodes, /27, 28 replicas (over capacity)
#   deploy3-27-28  3 nodes, /27, 28 replicas (over capacity)
#   drain1-2n      2 nodes, /27, 26 replicas on node1 (node2 paused), then
#                  activate node2 and drain node1
#   trap3          3 nodes, /27, 26 replicas with node2 paused, then activate
#                  node2 and drain node3 (the seed's trap in miniature)
#   joindrain3     3 nodes, /27, 24 replicas on node1+node2 with node3 out of
#                  the swarm; node3 joins, 10 s later node2 is drained
#   kill3          3 nodes, /24, 12 replicas; node2's dockerd is killed
#                  (SIGKILL) and started again 2 s later, as systemd does
#                  (a fault: docs/swarm-semantics.md section 11)
#   killleader     3 managers, /24, 12 replicas; the leader's dockerd is
#                  killed and started again 2 s later (whichever manager
#                  leads when the run starts; the others answer the API)
#   seed5          the seed's deploy: 5 nodes (3 managers), /27, 24 replicas
#                  at once (23 addresses for 24 tasks once every node has its
#                  load balancer); the polls give each task's assignment,
#                  PREPARING and end of its attachment wait
#   netadd22       a stop-first rolling update (the default update config:
#                  one task at a time, 5 s monitor): 3 nodes, 22 replicas on
#                  a /24 moved onto a second /24 (`--network-add bignet`)
#   force20        a start-first forced update of 20 replicas on a /24
#                  (3 nodes; `--force --update-order start-first`, one at a
#                  time); both record the service's UpdateStatus
#
# One swarm serves all runs of a recording (SWARMPLAN_RS_PREFIX picks its
# namespace prefix, so two recordings can run side by side); between runs the
# service and its network are removed and availabilities reset. A new service
# starts with no recent failures in swarmkit (they are kept per service), so
# runs are independent. Each run appends one JSON line: the outcome as
# `docker service ps` shows it (states, errors, placement per node, addresses
# in use) and every task state seen by polling the manager's /tasks every
# ~100 ms, with the agent's own timestamp of that state; `started` and
# `acted` are when the service was created and when the scenario's action
# (activate + drain) began, in seconds since 1970.
set -euo pipefail
SCENARIO=$1 RUNS=$2 OUT=$3
P=${SWARMPLAN_RS_PREFIX:-sprs}
HERE=$(cd "$(dirname "$0")" && pwd)
SW="bash $HERE/swarm.sh"
export SWARMPLAN_RS_PREFIX=$P
WORK=$(mktemp -d)
trap '$SW down >/dev/null 2>&1 || true; [ -n "${KEEP:-}" ] && cp -r "$WORK" "$KEEP"; rm -rf "$WORK"' EXIT

# A: the node whose API the run talks to (node1, or for killleader a
# manager that is not killed).
A=1
dk() { local i=$1; shift; docker -H "unix:///run/${P}$i/docker.sock" "$@"; }
api() { curl -s --max-time 5 --unix-socket "/run/${P}${A}/docker.sock" "http://d/v1.41$1"; }

case $SCENARIO in
  deploy2-27-28) NODES=2 REPLICAS=28 ;;
  deploy3-27-28) NODES=3 REPLICAS=28 SETTLE=live ;;
  drain1-2n) NODES=2 REPLICAS=26 ;;
  trap3) NODES=3 REPLICAS=26 ;;
  joindrain3) NODES=3 REPLICAS=24 ;;
  kill3) NODES=3 REPLICAS=12 SUBNET=10.10.0.0/24 ;;
  killleader) NODES=3 MANAGERS=3 REPLICAS=12 SUBNET=10.10.0.0/24 ;;
  seed5) NODES=5 MANAGERS=3 REPLICAS=24 SETTLE=live ;;
  netadd22) NODES=3 REPLICAS=22 SUBNET=10.10.0.0/24 ;;
  force20) NODES=3 REPLICAS=20 SUBNET=10.10.0.0/24 ;;
  *) echo "unknown scenario '$SCENARIO'" >&2; exit 1 ;;
esac

# Polls /tasks of service ex until $WORK/poll disappears; one compact array a line.
poll() {
  while [ -e "$WORK/poll" ]; do
    api "/tasks?filters=%7B%22service%22%3A%5B%22ex%22%5D%7D" |
      jq -c --arg t "$(date +%s.%N)" '[.[] | {id: .ID, slot: .Slot, node: .NodeID, s: .Status.State, ts: .Status.Timestamp, c: .CreatedAt, d: .DesiredState}] | {t: ($t | tonumber), tasks: .}' >> "$WORK/polls" 2>/dev/null || true
    sleep 0.1
  done
}

# Waits until no task is on its way (assigned .. starting, or running while
# desired shutdown) and the states have not changed for 16 s (at most 300 s).
# An over-capacity deploy can reject tasks on a node without a
# load-balancer address for as long as it runs (the restart supervisor
# replaces them, the scheduler places them back): there (SETTLE=live) only
# the live tasks count, running per node and waiting in NEW, so a run ends
# when they hold still while the rejections go on.
settle() {
  local last="" same=0
  for _ in $(seq 1 150); do
    sleep 2
    local now busy
    if [ "${SETTLE:-all}" = live ]; then
      now=$(dk "$A" service ps ex --filter desired-state=running --format '{{.Node}}|{{.CurrentState}}' |
            awk -F'|' '{split($2, a, " "); if (a[1] == "Running" || a[1] == "New") print ($1 == "" ? "-" : $1), a[1]}' |
            sort | uniq -c) || now=""
    else
      # (Fails while the managers elect a leader: that is not settled.)
      now=$(dk "$A" service ps ex --format '{{.Node}} {{.DesiredState}} {{.CurrentState}}' 2>/dev/null | awk '{print $1,$2,$3}' | sort | uniq -c) || now=""
    fi
    busy=$(echo "$now" | awk '$4 ~ /^(Assigned|Accepted|Preparing|Ready|Starting)$/ || ($3 == "Shutdown" && $4 == "Running")' | wc -l)
    if [ "$now" = "$last" ] && [ "$busy" = 0 ] && [ -n "$now" ]; then same=$((same + 1)); else same=0; fi
    last=$now
    # Live tasks can sit in PREPARING for the 30 s attachment wait before
    # they run or are rejected: in that mode they must hold still for 40 s.
    [ "$same" -ge "$([ "${SETTLE:-all}" = live ] && echo 20 || echo 8)" ] && return 0
  done
}

# Waits until the service's rolling update has ended (completed, paused or
# rolled back; at most 600 s).
wait_update() {
  for _ in $(seq 1 1200); do
    case $(api /services/ex | jq -r '.UpdateStatus.State // ""') in
      completed | paused | rollback_completed | rollback_paused) return 0 ;;
    esac
    sleep 0.5
  done
}

# The outcome, from the manager's API and each node's network endpoints.
measure() {
  local run=$1 started=$2 acted=$3 lbs=() nodes
  nodes=$(api /nodes | jq -c 'map({key: .ID, value: .Description.Hostname}) | from_entries')
  for i in $(seq 1 "$NODES"); do
    if dk "$i" network inspect exnet -f '{{json .Containers}}' 2>/dev/null | grep -q '"lb-exnet"'; then lbs+=("\"node$i\""); fi
  done
  local lbjson
  lbjson="[$(IFS=,; echo "${lbs[*]:-}")]"
  api "/tasks?filters=%7B%22service%22%3A%5B%22ex%22%5D%7D" > "$WORK/final"
  local update
  update=$(api /services/ex | jq -c '.UpdateStatus // null')
  jq -s -c --argjson update "$update" --argjson names "$nodes" --argjson lbs "$lbjson" --arg scenario "$SCENARIO" --argjson run "$run" \
     --argjson started "$started" --argjson acted "$acted" --arg engine "$(dk "$A" version -f '{{.Server.Version}}')" '
    def nm: if . == null then null else ($names[.] // .) end;
    (.[0]) as $final | (.[1:]) as $polls |
    {scenario: $scenario, run: $run, engine: $engine, started: $started, acted: $acted, update: $update,
     running: ([$final[] | select(.Status.State == "running")] | length),
     new: ([$final[] | select(.Status.State == "new")] | length),
     pending: ([$final[] | select(.Status.State == "pending")] | length),
     rejected: ([$final[] | select(.Status.State == "rejected")] | length),
     errors: ([$final[] | select(.Status.State == "rejected") | .Status.Err] | group_by(.) | map({(.[0]): length}) | add // {}),
     running_per_node: ([$final[] | select(.Status.State == "running") | (.NodeID | nm)] | group_by(.) | map({(.[0]): length}) | add // {}),
     lb_nodes: $lbs,
     with_address: ([$final[] | select(.Status.State | IN("pending","assigned","accepted","preparing","ready","starting","running"))] | length),
     tasks: ([$polls[] | .tasks[]] + [$final[] | {id: .ID, slot: .Slot, node: .NodeID, s: .Status.State, ts: .Status.Timestamp, c: .CreatedAt, d: .DesiredState, err: .Status.Err}]
             | group_by(.id) | map({id: .[0].id[0:10], slot: .[0].slot, node: (.[-1].node | nm), created: .[0].c,
                                    states: (map({(.s): .ts}) | add), err: (map(.err // empty) | last)}))}
    | .used = 3 + 1 + .with_address + (.lb_nodes | length)' "$WORK/final" "$WORK/polls" >> "$OUT"
}

$SW down >/dev/null 2>&1 || true
$SW up "$NODES" "${MANAGERS:-1}" >/dev/null
for run in $(seq 1 "$RUNS"); do
  : > "$WORK/polls"
  A=1
  if [ "$SCENARIO" = killleader ]; then
    # The leader of this run (the last run's kill moved it) and a manager
    # that stays up to answer.
    LEADER=$(dk 1 node ls --format '{{.Hostname}} {{.ManagerStatus}}' | awk '$2 == "Leader" {sub("node", "", $1); print $1}')
    [ -n "$LEADER" ] || { echo "record.sh: no leader" >&2; exit 1; }
    A=$((LEADER % NODES + 1))
  fi
  case $SCENARIO in drain1-2n | trap3) dk "$A" node update --availability pause node2 >/dev/null ;; esac
  if [ "$SCENARIO" = joindrain3 ]; then
    # node3 leaves and is removed, so that it joins afresh below.
    dk 3 swarm leave >/dev/null
    for _ in $(seq 1 60); do
      dk "$A" node ls --format '{{.Hostname}} {{.Status}}' | grep -q '^node3 Down' && break
      sleep 1
    done
    dk "$A" node rm node3 >/dev/null
  fi
  dk "$A" network create -d overlay --subnet "${SUBNET:-10.10.0.0/27}" exnet >/dev/null
  [ "$SCENARIO" = netadd22 ] && dk "$A" network create -d overlay --subnet 10.12.0.0/24 bignet >/dev/null
  touch "$WORK/poll"
  poll &
  POLLER=$!
  started=$(date +%s.%N)
  dk "$A" service create -d --name ex --replicas "$REPLICAS" --network exnet --no-resolve-image \
    --stop-grace-period 2s local/bb:1 sleep 100000 >/dev/null
  settle
  acted=null
  case $SCENARIO in drain1-2n | trap3) acted=$(date +%s.%N) ;; esac
  case $SCENARIO in
    joindrain3)
      dk 3 swarm join --advertise-addr 192.168.77.13 --token "$(dk "$A" swarm join-token -q worker)" 192.168.77.11:2377 >/dev/null
      sleep 10
      acted=$(date +%s.%N)
      dk "$A" node update --availability drain node2 >/dev/null
      settle ;;
    drain1-2n)
      dk "$A" node update --availability active node2 >/dev/null
      dk "$A" node update --availability drain node1 >/dev/null
      settle ;;
    trap3)
      dk "$A" node update --availability active node2 >/dev/null
      dk "$A" node update --availability drain node3 >/dev/null
      settle ;;
    netadd22)
      acted=$(date +%s.%N)
      dk "$A" service update -d --network-add bignet ex >/dev/null
      wait_update
      settle ;;
    force20)
      acted=$(date +%s.%N)
      dk "$A" service update -d --force --update-order start-first ex >/dev/null
      wait_update
      settle ;;
    kill3)
      acted=$(date +%s.%N)
      $SW kill 2
      sleep 2
      $SW start 2 >/dev/null
      settle ;;
    killleader)
      acted=$(date +%s.%N)
      $SW kill "$LEADER"
      sleep 2
      $SW start "$LEADER" >/dev/null
      settle ;;
  esac
  rm -f "$WORK/poll"
  wait "$POLLER" || true
  measure "$run" "$started" "$acted"
  tail -1 "$OUT" | jq -c '{run, running, new, rejected, used, running_per_node, errors, update: (.update.State // null)}' >&2
  dk "$A" service rm ex >/dev/null
  for _ in $(seq 1 60); do
    [ -z "$(for i in $(seq 1 "$NODES"); do dk "$i" ps -q; done)" ] && break
    sleep 1
  done
  for _ in $(seq 1 30); do dk "$A" network rm exnet >/dev/null 2>&1 && break; sleep 1; done
  if [ "$SCENARIO" = netadd22 ]; then
    for _ in $(seq 1 30); do dk "$A" network rm bignet >/dev/null 2>&1 && break; sleep 1; done
  fi
  for i in $(seq 1 "$NODES"); do dk "$A" node update --availability active "node$i" >/dev/null; done
  sleep 3
done

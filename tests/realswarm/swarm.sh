#!/usr/bin/env bash
# A real multi-node Docker Swarm on this machine, for the integration tests
# (docs/real-swarm.md explains the recipe and its pitfalls).
#
#   swarm.sh up N [MANAGERS]   start N dockerd nodes (the first MANAGERS are
#                              managers, default 1), each in its own network,
#                              mount and UTS namespace, joined into one swarm
#                              over a private bridge with no route out; import
#                              a busybox image on every node. Node 1 also
#                              listens on tcp://192.168.77.11:2376 with TLS
#                              (client certificates in /run/${P}-state/tls).
#   swarm.sh stop I            stop node I's dockerd (as `service docker stop`)
#   swarm.sh start I           start it again and wait for its socket
#   swarm.sh kill I            SIGKILL node I's dockerd (a crash; nothing
#                              stops gracefully); `start I` brings it back
#   swarm.sh cut I / heal I    take node I's link to the bridge down / up:
#                              a partition (its engine and containers run on)
#   swarm.sh down              stop every dockerd this script started (by the
#                              pid in its pidfile), then remove namespaces,
#                              links and the bridge. Safe to run twice.
#
# Node i listens on unix:///run/${P}i/docker.sock (P = $SWARMPLAN_RS_PREFIX,
# default "sprs"). Nothing leaves the machine: no default route, no image
# pulls (DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1). SWARMPLAN_RS_DEBUG=1 at `up`
# starts the daemons with --debug (their logs: /run/${P}-state/${P}i.log).
set -euo pipefail
P=${SWARMPLAN_RS_PREFIX:-sprs}
BR=${P}br
NET=192.168.77
STATE=/run/${P}-state

sock() { echo "unix:///run/${P}$1/docker.sock"; }
dk() { local i=$1; shift; docker -H "$(sock "$i")" "$@"; }

up() {
  local n=$1 managers=${2:-1}
  mkdir -p "$STATE"
  echo "$n" > "$STATE/nodes"
  ip link add "$BR" type bridge 2>/dev/null || true
  ip link set "$BR" up
  if command -v iptables >/dev/null; then
    iptables -C FORWARD -i "$BR" -o "$BR" -j ACCEPT 2>/dev/null || iptables -I FORWARD -i "$BR" -o "$BR" -j ACCEPT
  fi
  # TLS for node 1's TCP listener (tcp://$NET.11:2376, reachable from inside
  # the namespaces): a throw-away CA, a server certificate for that address,
  # and a client certificate, laid out as DOCKER_CERT_PATH expects.
  local tls="$STATE/tls"
  mkdir -p "$tls"
  (
    cd "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2 -subj /CN=swarmplan-test-ca 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=node1 2>/dev/null
    printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' "$NET.11" > server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server.pem -days 2 -extfile server.ext 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj /CN=swarmplan-test 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' > client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -days 2 -extfile client.ext 2>/dev/null
  )
  for i in $(seq 1 "$n"); do
    local ns=${P}$i
    local extra=""
    [ "$i" = 1 ] && extra="-H tcp://$NET.11:2376 --tlsverify --tlscacert $tls/ca.pem --tlscert $tls/server.pem --tlskey $tls/server-key.pem"
    ip netns add "$ns"
    ip link add "v$ns" type veth peer name eth0 netns "$ns"
    ip link set "v$ns" master "$BR" up
    ip -n "$ns" addr add "$NET.$((10 + i))/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    mkdir -p "/run/$ns" "/var/lib/$ns"
    cat > "$STATE/$ns.sh" <<SH
set -e
mount --make-rprivate /
mount -t sysfs sysfs /sys
mount -t tmpfs cgroup /sys/fs/cgroup
for c in cpu cpuacct cpuset memory devices freezer blkio pids; do
  mkdir -p /sys/fs/cgroup/\$c
  mount -t cgroup -o \$c cgroup /sys/fs/cgroup/\$c
done
mkdir -p /sys/fs/cgroup/systemd
mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd
hostname node$i
exec env DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 dockerd --data-root /var/lib/$ns --exec-root /run/$ns/exec \
  -H unix:///run/$ns/docker.sock $extra --pidfile /run/$ns/docker.pid ${SWARMPLAN_RS_DEBUG:+--debug}
SH
    nsenter --net="/run/netns/$ns" unshare -m -u sh "$STATE/$ns.sh" > "$STATE/$ns.log" 2>&1 &
  done
  for i in $(seq 1 "$n"); do
    for _ in $(seq 1 120); do
      dk "$i" info >/dev/null 2>&1 && break
      sleep 0.5
    done
    dk "$i" info >/dev/null 2>&1 || { echo "node $i did not start; see $STATE/${P}$i.log" >&2; tail -5 "$STATE/${P}$i.log" >&2; return 1; }
  done
  dk 1 swarm init --advertise-addr "$NET.11" >/dev/null
  local wtok mtok
  wtok=$(dk 1 swarm join-token -q worker)
  mtok=$(dk 1 swarm join-token -q manager)
  for i in $(seq 2 "$n"); do
    local tok=$wtok
    [ "$i" -le "$managers" ] && tok=$mtok
    dk "$i" swarm join --advertise-addr "$NET.$((10 + i))" --token "$tok" "$NET.11:2377" >/dev/null
  done
  # An image without any registry: busybox and its links.
  local root="$STATE/rootfs"
  rm -rf "$root" && mkdir -p "$root/bin"
  cp "$(command -v busybox)" "$root/bin/busybox"
  for a in sh sleep httpd ls cat; do ln -sf busybox "$root/bin/$a"; done
  for i in $(seq 1 "$n"); do
    tar -C "$root" -c . | dk "$i" import - local/bb:1 >/dev/null
  done
}

stop_node() {
  local pidfile=/run/${P}$1/docker.pid pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

kill_node() {
  local pidfile=/run/${P}$1/docker.pid pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill -9 "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}

start_node() {
  local i=$1 ns=${P}$1
  nsenter --net="/run/netns/$ns" unshare -m -u sh "$STATE/$ns.sh" >> "$STATE/$ns.log" 2>&1 &
  for _ in $(seq 1 120); do
    dk "$i" info >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "node $i did not start again; see $STATE/$ns.log" >&2
  return 1
}

down() {
  local n pids=() pid
  n=$(cat "$STATE/nodes" 2>/dev/null || echo 0)
  # Every engine asked to stop at once, then waited for (each stops its
  # containers first): a swarm comes down in the time of its slowest node.
  for i in $(seq 1 "$n"); do
    [ -f "/run/${P}$i/docker.pid" ] || continue
    pid=$(cat "/run/${P}$i/docker.pid")
    kill "$pid" 2>/dev/null || true
    pids+=("$pid")
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  done
  for i in $(seq 1 "$n"); do
    ip netns del "${P}$i" 2>/dev/null || true
    ip link del "v${P}$i" 2>/dev/null || true
    rm -rf "/var/lib/${P}$i" "/run/${P}$i"
  done
  if command -v iptables >/dev/null; then iptables -D FORWARD -i "$BR" -o "$BR" -j ACCEPT 2>/dev/null || true; fi
  ip link del "$BR" 2>/dev/null || true
  rm -rf "$STATE"
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) down ;;
  stop) stop_node "$2" ;;
  start) start_node "$2" ;;
  kill) kill_node "$2" ;;
  cut) ip link set "v${P}$2" down ;;
  heal) ip link set "v${P}$2" up ;;
  *) echo "usage: $0 up N [MANAGERS] | stop I | start I | kill I | cut I | heal I | down" >&2; exit 1 ;;
esac

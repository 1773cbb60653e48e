#!/bin/bash
# The selftests' topology: two namespaces joined by a veth pair.
#
#   nty-a: va (02:00:00:00:00:0a) <==veth, MTU 1500==> vb (02:00:00:00:00:0b) :nty-b
#
#   topo.sh up | down
set -e
case "$1" in
up)
	"$0" down 2>/dev/null || true
	ip netns add nty-a
	ip netns add nty-b
	ip link add va netns nty-a type veth peer name vb netns nty-b
	ip -n nty-a link set va address 02:00:00:00:00:0a mtu 1500 up
	ip -n nty-b link set vb address 02:00:00:00:00:0b mtu 1500 up
	ip -n nty-a link set lo up
	ip -n nty-b link set lo up
	;;
down)
	ip netns del nty-a 2>/dev/null || true
	ip netns del nty-b 2>/dev/null || true
	;;
*)
	echo "usage: topo.sh up|down" >&2
	exit 2
	;;
esac

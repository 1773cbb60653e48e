#!/bin/bash
# NTY between two guests over real NIC drivers (scripts/nty-pair): guest
# a and guest b, each with a virtio-net NIC of two queue pairs (wire 0)
# and an e1000e (wire 1).  Both guests run this script; each writes the
# TAP of the checks it can judge.  b is the sender, a the receiver, and
# the checks that need a receiver's counters are a's:
#   - datagrams of every size up to the MTU, and one byte past it (EMSGSIZE);
#   - 10,000 datagrams in order, over each driver, with the driver's own
#     counters (ethtool -S), per-queue interrupts (/proc/interrupts) and
#     NAPI polls (napi:napi_poll) next to NTY's (nty:nty_rcv, journeys);
#   - malformed frames from b's AF_PACKET socket: each dropped at the
#     stage and with the counter and reason its fault calls for;
#   - 16 MiB streams with equal hashes; 256 KiB in 64-byte writes (each a
#     segment, coalesced by a's receive queue); ethtool -L under a stream;
#     b's NIC down and up under a stream.
#
#   nty_twovm.sh      (in a guest of scripts/nty-pair; NTY_ROLE=a|b)
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/pair.sh"
tr=/sys/kernel/tracing
D=/sys/kernel/debug/nty
tmp=$(mktemp -d)

nic_by_driver() {
	local d
	for d in /sys/class/net/*; do
		[ "$(basename "$(readlink -f "$d/device/driver" 2>/dev/null)")" = "$1" ] &&
			{ basename "$d"; return 0; }
	done
	return 1
}
# snmp NAME: a counter of /proc/net/nty/snmp (its Nty: or NtyStream: lines)
snmp() {
	awk -v k="$1" '!($1 in h) { for (i = 2; i <= NF; i++) n[$1, i] = $i; h[$1] = 1; next }
		{ for (i = 2; i <= NF; i++) if (n[$1, i] == k) print $i }' /proc/net/nty/snmp
}
# ethsum DEV REGEX: the sum of the ethtool -S counters whose names match
ethsum() { ethtool -S "$1" | awk -v r="$2" '$1 ~ r {s += $2} END {print s + 0}'; }
# irqs NAME-REGEX: "name count" for each /proc/interrupts line that matches
irqs() {
	awk -v r="$1" 'NR > 1 && $NF ~ r { s = 0; for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i; else break; print $NF, s }' \
		/proc/interrupts
}
# drops: "kind stage:reason:count" for each row of debugfs drops
drops() { awk 'NR > 1 {print $2, $1 ":" $3 ":" $4}' "$D/drops"; }
# ddelta OLD NEW KIND: a drop kind's count between two drops snapshots,
# as stage:reason:+count
ddelta() {
	awk -v k="$3" 'NR == FNR { if ($1 == k) { split($2, o, ":"); c = o[3] } next }
		$1 == k { split($2, f, ":"); print f[1] ":" f[2] ":+" f[3] - c }' "$1" "$2"
}
# totals: InFrames + InBcastCopies, then InDelivers + every drop
totals() {
	echo $(($(snmp InFrames) + $(snmp InBcastCopies))) \
		$(($(snmp InDelivers) + $(awk 'NR > 1 {s += $4} END {print s + 0}' "$D/drops")))
}

VNIC=$(nic_by_driver virtio_net)
ENIC=$(nic_by_driver e1000e)
n=1; [ "$ROLE" = b ] && n=2
pn=$((3 - n))
MY_V=52:54:00:00:0$ROLE:00
PEER_V=52:54:00:00:0$PEER:00
PEER_E=52:54:00:00:0$PEER:01
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for d in $VNIC $ENIC; do ip link set "$d" up; done
ip addr add 10.78.0.$n/24 dev "$VNIC"
ip addr add 10.79.0.$n/24 dev "$ENIC"
# The receiver's buffers: 10,000 datagrams may be queued while the reader
# is off the CPU (under emulation, for tens of milliseconds).
sysctl -qw net.core.rmem_max=33554432 net.nty.rmem_max=33554432 net.nty.max_backlog=10000
[ "$ROLE" = a ] && read -r in0 out0 < <(totals)
pair_mark up
pair_await up || { echo "Bail out! the peer guest never came up"; exit 1; }

if [ "$ROLE" = a ]; then tap_plan 12; else tap_plan 10; fi

chan=$(ethtool -l "$VNIC" | awk '/Combined/ {c = $2} END {print c}')
tap_check nics "virtio-net=$VNIC (combined $chan) e1000e=$ENIC" \
	test -n "$VNIC" -a -n "$ENIC" -a "$chan" = 2

# ---- IPv4 first: the wires carry what any protocol sends.
if [ "$ROLE" = b ]; then
	ping -c 3 -i 0.2 -W 5 10.78.0.$pn >"$tmp/p0" 2>&1
	tap_check ipv4_ping_virtio "$(cat "$tmp/p0")" grep -q " 3 received" "$tmp/p0"
	ping -c 3 -i 0.2 -W 5 10.79.0.$pn >"$tmp/p1" 2>&1
	tap_check ipv4_ping_e1000e "$(cat "$tmp/p1")" grep -q " 3 received" "$tmp/p1"
fi
pair_mark ping
pair_await ping

# ---- Datagrams of every size up to the MTU.
mtu=$(cat "/sys/class/net/$VNIC/mtu")
max=$((mtu - 24))
sizes="4 64 512 1024 $max"
if [ "$ROLE" = a ]; then
	ntycat -v -c 5 -w 60 -l 7101 >"$tmp/sizes" &
	pid=$!
	sleep 0.5
	pair_mark listen_sizes
	wait $pid
	# -v: a line per datagram, then its (binary) payload.
	grep -aoE 'from [0-9a-f:]+ port [0-9]+ if [0-9]+, [0-9]+ bytes' "$tmp/sizes" >"$tmp/sizes.txt"
	got=$(awk -v m="$PEER_V" '$2 == m {printf "%s ", $(NF - 1)}' "$tmp/sizes.txt")
	tap_check dgram_sizes_to_mtu "sizes $sizes: got '$got' ($(cat "$tmp/sizes.txt"))" \
		test "$got" = "$sizes "
else
	pair_await listen_sizes
	for s in $sizes; do ntycat -c 1 -s "$s" "$VNIC" "$PEER_V" 7101; done
	ntycat -c 1 -s $((max + 1)) "$VNIC" "$PEER_V" 7101 >"$tmp/big" 2>&1
	tap_check dgram_past_mtu_emsgsize "$max + 1 bytes: $(cat "$tmp/big")" \
		grep -q "Message too long" "$tmp/big"
fi

# ---- 10,000 datagrams in order over each driver, with every stage's
# counters: the driver's, the interrupts, NAPI, then NTY's.
# dgram_run DEV PORT TAG
dgram_run() {
	local dev=$1 port=$2 tag=$3 peer
	if [ "$ROLE" = b ]; then
		peer=$PEER_V; [ "$dev" = "$ENIC" ] && peer=$PEER_E
		pair_await "listen_$tag"
		# On one CPU: a datagram socket keeps no TX queue (as UDP's,
		# netdev_pick_tx() caches one only for a socket with a route),
		# so a sender that moves between CPUs takes XPS's queue of
		# each, and two queues can reorder what it sent.
		taskset -c 0 ntycat -c 10000 -s 64 "$dev" "$peer" "$port"
		pair_mark "sent_$tag"
		pair_await "done_$tag" 600
		return
	fi
	local f0 rx0 f1 rx1 dirq dr0 dr1
	f0=$(snmp InDelivers)
	rx0=$(cat "/sys/class/net/$dev/statistics/rx_packets")
	dr0=$(ethsum "$dev" '(drops|missed|no_buffer)')
	irqs "^$dev(-rx-[0-9]+)?\$|^virtio[0-9]+-input" >"$tmp/irq0_$tag"
	echo 0 >$tr/events/napi/napi_poll/enable
	echo 0 >$tr/events/nty/nty_rcv/enable
	echo 8192 >$tr/buffer_size_kb
	echo >$tr/trace
	echo 1 >$tr/events/napi/napi_poll/enable
	echo 1 >$tr/events/nty/nty_rcv/enable
	ntycat -q -c 10000 -w 60 -b 16777216 -l "$port" >"$tmp/rcv_$tag" 2>&1 &
	local pid=$!
	sleep 0.5
	pair_mark "listen_$tag"
	wait $pid
	echo 0 >$tr/events/napi/napi_poll/enable
	echo 0 >$tr/events/nty/nty_rcv/enable
	cp $tr/trace "$tmp/trace_$tag"
	pair_mark "done_$tag"
	f1=$(snmp InDelivers)
	rx1=$(cat "/sys/class/net/$dev/statistics/rx_packets")
	dr1=$(ethsum "$dev" '(drops|missed|no_buffer)')
	irqs "^$dev(-rx-[0-9]+)?\$|^virtio[0-9]+-input" >"$tmp/irq1_$tag"
	tap_check "dgram_10000_in_order_$tag" "$(cat "$tmp/rcv_$tag"); InDelivers +$((f1 - f0))" \
		grep -q "received 10000 datagrams, 0 out of order" "$tmp/rcv_$tag"
	# The driver counted every frame the protocol took and dropped none
	# (ethtool -S: virtio's rxN_drops, e1000e's missed and no-buffer counts), its interrupts
	# rose, its NAPI polls took at least as many frames (napi_poll's
	# work; the event comes as each poll ends), and nty_rcv saw each one
	# from that device's ifindex, on CPUs where those polls ran.
	local ifi nrcv pw cpus
	ifi=$(cat "/sys/class/net/$dev/ifindex")
	dirq=$(awk 'NR == FNR { o[$1] = $2; next } { s += $2 - o[$1] } END {print s + 0}' \
		"$tmp/irq0_$tag" "$tmp/irq1_$tag")
	nrcv=$(grep -c "nty_rcv: .* ifindex=$ifi " "$tmp/trace_$tag")
	read -r pw cpus < <(awk -v d="device $dev " -v i="ifindex=$ifi " '
		/napi_poll:/ && index($0, d) { for (k = 1; k < NF; k++) if ($k == "work") w += $(k + 1); pc[$2] = 1 }
		/nty_rcv:/ && index($0, i) { rc[$2] = 1 }
		END { bad = 0; for (c in rc) if (!(c in pc)) bad++; print w + 0, bad }' "$tmp/trace_$tag")
	echo "# $tag: rx packets +$((rx1 - rx0)), irqs +$dirq, napi_poll work $pw, nty_rcv $nrcv"
	tap_check "driver_stages_$tag" \
		"rx packets +$((rx1 - rx0)), driver drops +$((dr1 - dr0)), irqs +$dirq, napi_poll work $pw, nty_rcv $nrcv (on $cpus CPUs without a poll of $dev), InDelivers +$((f1 - f0))" \
		test $((rx1 - rx0)) -ge 10000 -a $((dr1 - dr0)) -eq 0 -a "$dirq" -gt 0 -a "$pw" -ge 10000 \
		-a "$nrcv" -eq 10000 -a "$cpus" = 0 -a $((f1 - f0)) -eq 10000
}
dgram_run "$VNIC" 7102 virtio
dgram_run "$ENIC" 7103 e1000e

# ---- The receive queues: UDP flows spread over virtio's two queue pairs
# (the tap's queue follows the flow's hash); each queue raised its own
# interrupt and each of the device's NAPI instances polled frames (6.12's
# virtio-net keeps per-queue packet counts in netlink's qstats, not in
# ethtool -S: napi_poll's work per instance counts them here).
if [ "$ROLE" = a ]; then
	irqs "^virtio[0-9]+-input" >"$tmp/q0"
	echo 0 >$tr/events/napi/napi_poll/enable
	echo >$tr/trace
	echo 1 >$tr/events/napi/napi_poll/enable
	pair_mark udp_go
	pair_await udp_sent 600
	echo 0 >$tr/events/napi/napi_poll/enable
	irqs "^virtio[0-9]+-input" >"$tmp/q1"
	res=$(awk 'NR == FNR { o[$1] = $2; next } { printf "%s:+%d ", $1, $2 - o[$1] }' "$tmp/q0" "$tmp/q1")
	napis=$(awk -v d="device $VNIC " '/napi_poll:/ && index($0, d) {
			for (k = 1; k < NF; k++) { if ($k == "struct") p = $(k + 1); if ($k == "work") w[p] += $(k + 1) } }
		END { for (p in w) if (w[p] >= 50) n++; print n + 0 }' $tr/trace)
	echo "# interrupts per input queue: $res; NAPI instances with 50 frames or more: $napis"
	tap_check virtio_queue_irqs "interrupts per input queue: $res; NAPI instances with 50 frames or more: $napis" \
		awk -v r="$res" -v n="$napis" 'BEGIN { k = split(r, q, " "); for (i = 1; i <= k; i++) {
			split(q[i], f, ":+"); if (f[2] <= 0) exit 1 } exit !(k == 2 && n == 2) }'
else
	pair_await udp_go
	python3 - "10.78.0.$pn" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for port in range(9000, 9032):
    for _ in range(100):
        s.sendto(b"x" * 64, (sys.argv[1], port))
PY
	sleep 1
	pair_mark udp_sent
fi

# ---- Malformed frames from the peer's AF_PACKET socket: each dropped at
# the stage its fault calls for, counted, with its reason.
if [ "$ROLE" = a ]; then
	drops >"$tmp/d0"
	h0=$(snmp InHdrErrors); c0=$(snmp InCsumErrors); n0=$(snmp InNoPort); x0=$(snmp InDiscards)
	pair_mark raw_go
	pair_await raw_sent 600
	sleep 1
	h1=$(snmp InHdrErrors); c1=$(snmp InCsumErrors); n1=$(snmp InNoPort); x1=$(snmp InDiscards)
	drops >"$tmp/d1"
	rows=$(for k in hdr_short hdr_version hdr_type hdr_len csum no_socket stream_not_unicast; do
		printf '%s=%s ' $k "$(ddelta "$tmp/d0" "$tmp/d1" $k)"; done)
	want="hdr_short=protocol:PKT_TOO_SMALL:+5 hdr_version=protocol:UNHANDLED_PROTO:+5 hdr_type=protocol:UNHANDLED_PROTO:+5 hdr_len=protocol:PKT_TOO_SMALL:+5 csum=protocol:UDP_CSUM:+5 no_socket=demux:NO_SOCKET:+10 stream_not_unicast=demux:UNHANDLED_PROTO:+5 "
	tap_check malformed_from_peer \
		"InHdrErrors +$((h1 - h0)) (20) InCsumErrors +$((c1 - c0)) (5) InNoPort +$((n1 - n0)) (10) InDiscards +$((x1 - x0)) (5); drops: $rows" \
		test $((h1 - h0)) -eq 20 -a $((c1 - c0)) -eq 5 -a $((n1 - n0)) -eq 10 \
		-a $((x1 - x0)) -eq 5 -a "$rows" = "$want"
else
	pair_await raw_go
	python3 - "$VNIC" "$PEER_V" "$MY_V" <<'PY'
import socket, struct, sys
dev, dst, src = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), bytes.fromhex(sys.argv[3].replace(":", ""))
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def nty(ver=1, typ=1, flags=0, sport=7000, dport=7199, payload=b"p" * 40, length=None, bad=False):
    n = 24 + len(payload) if length is None else length
    h = struct.pack("!BBBBHHHHIIHH", ver, typ, flags, 0, sport, dport, n, 0, 0, 0, 0, 0)
    c = csum(h + payload) ^ (0x5a5a if bad else 0)
    return h[:10] + struct.pack("!H", c) + h[12:] + payload
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
eth = lambda d: d + src + b"\x88\xb5"
bcast = b"\xff" * 6
frames = [eth(dst) + b"\x01\x01" + b"\0" * 8,          # shorter than the header
          eth(dst) + nty(ver=7),                        # unknown version
          eth(dst) + nty(typ=9),                        # unknown type
          eth(dst) + nty(length=24 + 400),              # len past the frame
          eth(dst) + nty(bad=True),                     # checksum
          eth(dst) + nty(),                             # no socket on 7199
          eth(bcast) + nty(),                           # broadcast, no socket
          eth(bcast) + nty(typ=2, flags=1)]             # a SYN to broadcast
for _ in range(5):
    for f in frames:
        s.send(f)
PY
	pair_mark raw_sent
fi

# ---- Streams: 16 MiB over virtio-net, 8 MiB over e1000e, equal hashes.
# stream_run DEV PORT TAG BLOCKS [ACTION]: b sends BLOCKS x 32 KiB to a
# (BLOCKS x STREAM_WRITE bytes, one write each, if that is set);
# ACTION runs on its guest ("a:..." or "b:...") once the transfer is under way.
stream_run() {
	local dev=$1 port=$2 tag=$3 blocks=$4 action=${5:-} peer pid
	local wsize=${STREAM_WRITE:-32768}
	if [ "$ROLE" = a ]; then
		ntycat -t -q -w 120 -l "$port" >"$tmp/st_$tag" 2>&1 &
		pid=$!
		sleep 0.5
		pair_mark "listen_$tag"
		case $action in a:*)
			local i0 i1
			i0=$(snmp InFrames)
			for _ in $(seq 600); do
				i1=$(snmp InFrames)
				[ $((i1 - i0)) -ge $((blocks * 32768 / 1476 / 4)) ] && break
				sleep 0.1
			done
			kill -0 $pid 2>/dev/null && STREAM_ACTION_LIVE=1
			eval "${action#a:}"
			;;
		esac
		wait $pid
		pair_put "st_$tag" <"$tmp/st_$tag"
		pair_await "st_$tag" 900
		return
	fi
	peer=$PEER_V; [ "$dev" = "$ENIC" ] && peer=$PEER_E
	pair_await "listen_$tag"
	local r0 r1
	r0=$(snmp RetransSegs)
	local t0=$SECONDS
	ntycat -t -q -c "$blocks" -s "$wsize" "$dev" "$peer" "$port" >"$tmp/st_$tag" 2>&1 &
	pid=$!
	case $action in b:*)
		# Under way: a quarter of the frames out, the sender still running.
		local o0 o1
		o0=$(snmp OutFrames)
		for _ in $(seq 600); do
			o1=$(snmp OutFrames)
			[ $((o1 - o0)) -ge $((blocks * 32768 / 1476 / 4)) ] && break
			sleep 0.1
		done
		kill -0 $pid 2>/dev/null && STREAM_ACTION_LIVE=1
		eval "${action#b:}"
		;;
	esac
	wait $pid
	r1=$(snmp RetransSegs)
	pair_put "st_$tag" <"$tmp/st_$tag"
	pair_await "st_$tag" 900
	local sent got
	# "received N bytes fnv1a H sent N bytes fnv1a H"
	sent=$(awk '$1 == "received" {print $7, $10}' "$tmp/st_$tag")
	got=$(pair_get "st_$tag" | awk '$1 == "received" {print $2, $5}')
	STREAM_RETRANS=$((r1 - r0))
	echo "# $tag: $((blocks * wsize)) bytes in $((SECONDS - t0)) s, RetransSegs +$STREAM_RETRANS"
	tap_check "stream_${tag}_hash" "sent '$sent' received '$got' (RetransSegs +$STREAM_RETRANS)" \
		test "$sent" = "$got" -a "${sent%% *}" = $((blocks * wsize))
}
stream_run "$VNIC" 7201 virtio_16MiB 512
stream_run "$ENIC" 7202 e1000e_8MiB 256

# 256 KiB in writes of 64 bytes over virtio-net, each its own segment: a
# small skb from virtio-net costs the buffer about 1 KB, so these
# segments once filled the buffer long before the window closed, and
# those held out of order took the room the hole needed, for good.  Now
# the receive queue appends them to its last skb (RcvCoalesce) and the
# out-of-order queue gives way to the hole (OfoPruned).
[ "$ROLE" = a ] && co0=$(snmp RcvCoalesce)
STREAM_WRITE=64 stream_run "$VNIC" 7206 virtio_64B_writes 4096
if [ "$ROLE" = a ]; then
	co1=$(snmp RcvCoalesce)
	echo "# virtio_64B_writes: RcvCoalesce +$((co1 - co0)), OfoPruned $(snmp OfoPruned)"
	tap_check small_writes_coalesced "RcvCoalesce +$((co1 - co0)) of 4096 segments" \
		test $((co1 - co0)) -gt 0
fi

# ethtool -L on a's virtio NIC while a stream arrives on it: 2 -> 1 -> 2.
if [ "$ROLE" = a ]; then
	stream_run "$VNIC" 7203 ethtool_L 256 \
		"a:ethtool -L $VNIC combined 1; sleep 2; ethtool -l $VNIC >$tmp/l1; ethtool -L $VNIC combined 2"
	c1=$(awk '/Combined/ {c = $2} END {print c}' "$tmp/l1")
	c2=$(ethtool -l "$VNIC" | awk '/Combined/ {c = $2} END {print c}')
	tap_check ethtool_L_under_traffic "combined during: $c1, after: $c2; changed under the transfer: ${STREAM_ACTION_LIVE:-no}; $(cat "$tmp/st_ethtool_L")" \
		test "$c1" = 1 -a "$c2" = 2 -a "${STREAM_ACTION_LIVE:-0}" = 1
else
	stream_run "$VNIC" 7203 ethtool_L 256
fi

# b's NIC down for two seconds under a stream: the stream retransmits what
# the dead link lost and ends with equal hashes.
if [ "$ROLE" = b ]; then
	STREAM_ACTION_LIVE=
	stream_run "$VNIC" 7204 peer_down_up 512 "b:ip link set $VNIC down; sleep 2; ip link set $VNIC up"
	tap_check peer_down_up_retransmits "RetransSegs +$STREAM_RETRANS, link went down under the transfer: ${STREAM_ACTION_LIVE:-no}" \
		test "$STREAM_RETRANS" -gt 0 -a "${STREAM_ACTION_LIVE:-0}" = 1
else
	stream_run "$VNIC" 7204 peer_down_up 512
	# And datagrams flow again after the peer's link came back.
	ntycat -q -c 100 -w 60 -l 7105 >"$tmp/after" 2>&1 &
	pid=$!
	sleep 0.5
	pair_mark listen_after
	wait $pid
	tap_check dgram_after_peer_down_up "$(cat "$tmp/after")" \
		grep -q "received 100 datagrams, 0 out of order" "$tmp/after"
fi
if [ "$ROLE" = b ]; then
	pair_await listen_after
	ntycat -c 100 -s 64 "$VNIC" "$PEER_V" 7105
fi

# Conservation on the receiver over the whole run: every frame the real
# drivers gave NTY was delivered or dropped with a counted reason.
if [ "$ROLE" = a ]; then
	sleep 1
	read -r in1 out1 < <(totals)
	tap_check conservation "InFrames + InBcastCopies +$((in1 - in0)), InDelivers + drops +$((out1 - out0))" \
		test $((in1 - in0)) -eq $((out1 - out0)) -a $((in1 - in0)) -gt 40000
fi
pair_mark end
pair_await end 900
rm -rf "$tmp"
tap_done

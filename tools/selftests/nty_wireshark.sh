#!/bin/bash
# tools/wireshark/nty.lua in tshark: NTY traffic captured with tcpdump on
# the receiving veth (datagrams, a stream handshake and transfer, a frame
# forged with every field known, a truncated frame), each field read back
# with tshark -T fields and compared with what was sent.  Needs topo.sh.
. "$(dirname "$0")/tap.sh"
tap_plan 7
A="ip netns exec nty-a"
B="ip netns exec nty-b"
MAC_B=02:00:00:00:00:0b
LUA="$(cd "$(dirname "$0")/../wireshark" && pwd)/nty.lua"
ET=$(cat /sys/module/nty/parameters/ethertype)
D=/sys/kernel/debug/nty
tmp=$(mktemp -d)
bound() {
	for _ in $(seq 100); do
		$B awk -v p="$1" '$3 == p {f = 1} END {exit !f}' /proc/net/nty/sockets && return
		sleep 0.1
	done
}
if ! command -v tshark >/dev/null; then
	for t in datagram_fields stream_handshake stream_payload forged_frame_fields truncated_frame \
		journey_pcap drops_pcap; do
		tap_check "$t" "tshark is not installed (scripts/setup installs it)" false
	done
	exit 1
fi

# Checksums in software, so the capture holds them (a device that
# computes them is handed the frame before it does).
$A ethtool -K va tx off >/dev/null
$B ethtool -K vb tx off >/dev/null
$B tcpdump -i vb -nn -U -w "$tmp/cap.pcap" ether proto "$ET" 2>/dev/null &
tpid=$!
sleep 2

# Two datagrams, port 4321 to 6300, 10 bytes each.
$B ntycat -l 6300 -c 2 -w 20 >/dev/null &
pid=$!
bound 6300
$A ntycat -p 4321 -c 2 -s 10 va $MAC_B 6300
wait $pid

# A stream: handshake, then these bytes.
msg="the receive path, seen by wireshark"
$B ntycat -t -l 6301 -q -w 20 >"$tmp/stream.out" &
pid=$!
bound 6301
printf '%s' "$msg" | $A ntycat -t -p 4322 va $MAC_B 6301
wait $pid

# A frame forged with every field known (a wrong checksum), and one
# shorter than the header.
$A python3 - "$ET" <<'PY'
import socket, struct, sys
et = int(sys.argv[1])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(("va", 0))
eth = bytes.fromhex("02000000000b02000000000a") + struct.pack("!H", et)
h = struct.pack("!BBBBHHHHIIHH", 1, 2, 0x03, 0, 1111, 2222, 28, 0xdead,
                0x01020304, 0x05060708, 0x0102, 0)
s.send(eth + h + b"abcd")
s.send(eth + b"\x01\x01\x00")
PY
sleep 1
kill -INT $tpid
wait $tpid
$A ethtool -K va tx on >/dev/null
$B ethtool -K vb tx on >/dev/null

# One pass of tshark over the capture (each start costs seconds under
# emulation): every field of every frame, ';'-separated, then each check
# takes its frames and fields.  sel COND FIELD...: the fields, space-
# separated, of the frames where the awk condition COND holds.
F="frame.protocols nty.srcport nty.version nty.type nty.flags nty.flags.syn
nty.flags.ack nty.flags.fin nty.flags.rst nty.dstport nty.len nty.checksum
nty.checksum.status nty.seq nty.ack nty.window nty.window.size
nty.payload.len nty.payload _ws.expert.message"
# shellcheck disable=SC2046 # one -e per field
tshark -X lua_script:"$LUA" -r "$tmp/cap.pcap" -T fields -E separator=';' \
	$(printf -- '-e %s ' $F) >"$tmp/all.txt" 2>/dev/null
sel() {
	local cond=$1
	shift
	# shellcheck disable=SC2086 # F's words, on one line
	awk -F';' -v names="$(echo $F)" -v want="$*" '
	BEGIN { n = split(names, nm, " "); for (i = 1; i <= n; i++) c[nm[i]] = i
		m = split(want, w, " ") }
	function f(k) { return $(c[k]) }
	'"$cond"' { out = ""; for (i = 1; i <= m; i++) out = out (i > 1 ? " " : "") f(w[i]); print out }' "$tmp/all.txt"
}
sel 'f("nty.srcport") == 4321' nty.version nty.type nty.dstport nty.len \
	nty.checksum.status nty.payload.len >"$tmp/dgram"
tap_check datagram_fields "$(cat "$tmp/dgram")" \
	test "$(sort -u "$tmp/dgram")" = "1 1 6300 34 good 10" -a "$(wc -l <"$tmp/dgram")" -eq 2

sel 'f("nty.type") == 2 && f("nty.flags.syn") == 1' nty.srcport nty.dstport \
	nty.flags.ack nty.checksum.status >"$tmp/syn"
tap_check stream_handshake "SYN and SYN-ACK: $(cat "$tmp/syn")" \
	test "$(sed -n 1p "$tmp/syn")" = "4322 6301 0 good" -a \
	"$(sed -n 2p "$tmp/syn")" = "6301 4322 1 good"

# The payload of the A-to-B segments, in sequence order, is what was sent.
got=$(sel 'f("nty.srcport") == 4322 && f("nty.payload.len") > 0' nty.seq nty.payload |
	sort -n -u | awk '{printf "%s", $2}')
want=$(printf '%s' "$msg" | od -An -tx1 | tr -d ' \n')
tap_check stream_payload "payload $got, sent $want; receiver: $(cat "$tmp/stream.out")" \
	test "$got" = "$want"

forged=$(sel 'f("nty.srcport") == 1111' nty.version nty.type nty.flags nty.flags.syn \
	nty.flags.ack nty.flags.fin nty.flags.rst nty.dstport nty.len \
	nty.checksum nty.checksum.status nty.seq nty.ack nty.window \
	nty.window.size nty.payload _ws.expert.message)
tap_check forged_frame_fields "$forged" \
	test "$forged" = "1 2 0x03 1 1 0 0 2222 28 0xdead bad 16909060 84281096 258 4128 61626364 0xdead, should be 0x1900"

short=$(sel 'f("frame.protocols") ~ /(^|:)nty(:|$)/ && f("nty.version") == ""' _ws.expert.message)
tap_check truncated_frame "$short" test "$short" = "3 of 24 header bytes"

# Journeys as pcapng: with capture on, three datagrams delivered and two
# dropped for want of a socket, each packet's comment its outcome.
echo 0 >$D/journeys
echo "port=0 ifindex=0" >$D/journey_filter
echo 1 >$D/timing
echo 1 >$D/journey_capture
$B ntycat -l 6310 -c 3 -w 20 >/dev/null &
pid=$!
bound 6310
$A ntycat -p 4330 -c 3 -s 10 va $MAC_B 6310
wait $pid
$A ntycat -p 4331 -c 2 -s 10 va $MAC_B 6311
sleep 0.5
ntystat --journey --pcap "$tmp/j.pcapng" 2>/dev/null
ntystat --drops --pcap "$tmp/d.pcapng" 2>/dev/null
echo 0 >$D/journey_capture
echo 0 >$D/timing
pc() {
	tshark -X lua_script:"$LUA" -r "$1" -T fields -E separator=";" -e nty.srcport \
		-e nty.dstport -e nty.len -e nty.checksum.status -e frame.comment 2>/dev/null
}
pc "$tmp/j.pcapng" >"$tmp/j.txt"
ok=$(grep -c "^4330;6310;34;.*;nty journey #[0-9]*: .*socket +.*, delivered to port 6310 via its receive queue" "$tmp/j.txt")
dr=$(grep -c "^4331;6311;34;.*;nty journey #[0-9]*: .*, dropped at demux: no_socket" "$tmp/j.txt")
tap_check journey_pcap "delivered $ok (want 3), dropped $dr (want 2) of $(wc -l <"$tmp/j.txt"): $(head -3 "$tmp/j.txt")" \
	test "$ok" -eq 3 -a "$dr" -eq 2 -a "$(wc -l <"$tmp/j.txt")" -eq 5
pc "$tmp/d.pcapng" >"$tmp/d.txt"
dr=$(grep -c "^4331;6311;34;.*dropped at demux: no_socket" "$tmp/d.txt")
tap_check drops_pcap "$(cat "$tmp/d.txt")" test "$dr" -eq 2 -a "$(wc -l <"$tmp/d.txt")" -eq 2
rm -rf "$tmp"
tap_done

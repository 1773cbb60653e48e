// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile peer: every lie a station on the wire can tell a stream
 * connection, from a raw AF_PACKET peer (nty_raw.h) in nty-h1 to NTY in
 * nty-h2, joined by a veth with MTU 9000 so that long frames can arrive
 * non-linear.  Each test asserts what the connection did and the counters
 * (and drop kinds) that prove it; a crash, a KASAN report or a WARN fails
 * the whole run (scripts/nty-vm).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <poll.h>
#include <sys/time.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "nty_test.h"
#include "nty_raw.h"

#define NS_P "nty-h1"	/* the raw peer */
#define NS_N "nty-h2"	/* NTY */

static int fam, p_ifindex, n_ifindex;
static unsigned char p_mac[6], n_mac[6];

static void sh(const char *cmd)
{
	if (system(cmd))
		fprintf(stderr, "'%s' failed\n", cmd);
}

static int topo_up(void)
{
	sh("ip netns del " NS_P " 2>/dev/null; ip netns del " NS_N " 2>/dev/null");
	sh("ip netns add " NS_P "; ip netns add " NS_N);
	sh("ip link add h1 netns " NS_P " type veth peer name h2 netns " NS_N);
	sh("ip -n " NS_P " link set h1 mtu 9000 up");
	sh("ip -n " NS_N " link set h2 mtu 9000 up");
	/* One frame per segment: the raw peer reads segments, not trains. */
	sh("ip netns exec " NS_N " ethtool -K h2 gso off >/dev/null");
	fam = nty_user_family();
	enter_ns(NS_P);
	if (nty_ifinfo("h1", &p_ifindex, p_mac))
		return -1;
	enter_ns(NS_N);
	return nty_ifinfo("h2", &n_ifindex, n_mac);
}

/* Frames that arrived on the peer's link within @ms (not its own). */
static int count_incoming(int fd, int ms)
{
	unsigned char buf[RAW_MAX_FRAME];
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	struct sockaddr_ll sll;
	socklen_t sl;
	double end = now_ms() + ms;
	int n = 0;

	while (now_ms() < end && poll(&pf, 1, end - now_ms() + 1) == 1) {
		sl = sizeof(sll);
		if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&sll,
			     &sl) >= 0 && sll.sll_pkttype != PACKET_OUTGOING)
			n++;
	}
	return n;
}

/* Connections (not the listener) on local port @port in this namespace. */
static int connections_on(int port)
{
	char line[512], st[32];
	unsigned int lport;
	int n = 0;
	FILE *f = fopen("/proc/net/nty/sockets", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %31s %u", st, &lport) == 2 &&
		    (int)lport == port && strcmp(st, "LISTEN"))
			n++;
	fclose(f);
	return n;
}

static int listener(int port)
{
	struct sockaddr_nty a = { .snty_family = fam, .snty_port = htons(port) };
	int fd;

	enter_ns(NS_N);
	fd = socket(fam, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(fd, 8))
		return -1;
	return fd;
}

static int accept_within(int lfd, int ms)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	if (poll(&p, 1, ms) != 1)
		return -1;
	return accept(lfd, NULL, NULL);
}

/* A raw peer in nty-h1 connected to @lfd; the accepted socket or -1. */
static int raw_connect(struct raw_peer *p, int lfd)
{
	int s;

	enter_ns(NS_P);
	if (raw_open(p, p_ifindex, n_mac) || raw_handshake(p, 5000))
		return -1;
	s = accept_within(lfd, 3000);
	enter_ns(NS_N);
	return s;
}

static ssize_t read_all(int s, unsigned char *buf, size_t len)
{
	struct timeval tv = { .tv_sec = 3 };
	size_t got = 0;
	ssize_t n;

	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (got < len) {
		n = recv(s, buf + got, len - got, 0);
		if (n <= 0)
			break;
		got += n;
	}
	return got;
}

static void pattern(unsigned char *b, size_t len, uint32_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (unsigned char)((off + i) * 7 + 3);
}

static long outq(int s)
{
	int v = -1;

	return ioctl(s, SIOCOUTQ, &v) ? -1 : v;
}

FIXTURE(hostile) {
	int dummy;
};

FIXTURE_SETUP(hostile)
{
	ASSERT_EQ(0, pin_cpu(0));
	ASSERT_EQ(0, topo_up());
}

FIXTURE_TEARDOWN(hostile)
{
	enter_init_ns();
	write_file("/proc/sys/net/nty/rps_cpus", "0");
	sh("ip netns del " NS_P "; ip netns del " NS_N);
}

/*
 * Review defect 1: a segment whose first bytes were received already,
 * arriving non-linear (only its NTY header in the linear area), is
 * trimmed by sequence number, not by __skb_pull() (which BUGs past the
 * linear bytes): in order, as a partial overlap, and as an out-of-order
 * segment that the gap's filler overlaps.  With rps_cpus set, the flow
 * hash also pulls the header of each such frame (review defect 14: it
 * read the Ethernet header through a pointer the pull could free).
 */
TEST_F(hostile, nonlinear_partial_overlap_trimmed)
{
	static unsigned char data[12000], got[12000];
	struct raw_peer p = { .sport = 31000, .dport = 7200 };
	long long part0, ofo0;
	struct ntyhdr nh;
	uint32_t una;
	int lfd, s;

	enter_init_ns();
	write_file("/proc/sys/net/nty/rps_cpus", "3");
	pattern(data, sizeof(data), 0);
	lfd = listener(7200);
	ASSERT_GE(lfd, 0);
	s = raw_connect(&p, lfd);
	ASSERT_GE(s, 0);
	part0 = nty_snmp("PartialDupSegs");
	ofo0 = nty_snmp("OfoQueued");
	una = p.snd_nxt;

	/* 100 bytes in order, then 5,000 paged ones starting 50 back. */
	enter_ns(NS_P);
	ASSERT_EQ(0, raw_frame(&p, n_mac, p.mac, NTY_F_ACK, una, p.rcv_nxt,
			       data, 100, 0));
	ASSERT_EQ(0, raw_frame(&p, n_mac, p.mac, NTY_F_ACK, una + 50,
			       p.rcv_nxt, data + 50, 5000, 1));
	do {
		ASSERT_EQ(0, raw_recv(&p, &nh, 3000));
	} while (ntohl(nh.ack_seq) != una + 5050);

	/*
	 * Past a gap, 5,000 paged bytes at 5150; then the filler, 5050 to
	 * 5200, which overlaps the held segment by 50 bytes.
	 */
	ASSERT_EQ(0, raw_frame(&p, n_mac, p.mac, NTY_F_ACK, una + 5150,
			       p.rcv_nxt, data + 5150, 5000, 1));
	ASSERT_EQ(0, raw_frame(&p, n_mac, p.mac, NTY_F_ACK, una + 5050,
			       p.rcv_nxt, data + 5050, 150, 0));
	do {
		ASSERT_EQ(0, raw_recv(&p, &nh, 3000));
	} while (ntohl(nh.ack_seq) != una + 10150);

	enter_ns(NS_N);
	EXPECT_EQ(1, nty_snmp("PartialDupSegs") - part0);
	EXPECT_EQ(1, nty_snmp("OfoQueued") - ofo0);
	EXPECT_EQ(10150, read_all(s, got, 10150));
	EXPECT_EQ(0, memcmp(got, data, 10150));
	/* The peer goes away with an exact RST, leaving no orphan behind. */
	enter_ns(NS_P);
	ASSERT_EQ(0, raw_send(&p, NTY_F_RST, una + 10150, NULL, 0));
	sleep_ms(100);
	close(s);
	close(lfd);
	raw_close(&p);
}

/*
 * Review defect 9: a stream segment to a broadcast or multicast MAC, or
 * from one, is dropped (stream_not_unicast) and answered with nothing: no
 * SYN-ACK from a listener, no RST from a closed port.  A unicast SYN from
 * the same peer still gets its SYN-ACK.
 */
TEST_F(hostile, stream_frames_to_or_from_groups_not_answered)
{
	static const unsigned char bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const unsigned char mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	struct raw_peer p = { .sport = 31001, .dport = 7201 };
	long k0, disc0;
	struct ntyhdr nh;
	int lfd;

	lfd = listener(7201);
	ASSERT_GE(lfd, 0);
	k0 = drops_of("stream_not_unicast");
	ASSERT_GE(k0, 0);
	disc0 = nty_snmp("InDiscards");
	enter_ns(NS_P);
	ASSERT_EQ(0, raw_open(&p, p_ifindex, n_mac));
	/* To groups: a SYN for the listener, a SYN and a segment for a closed port. */
	ASSERT_EQ(0, raw_frame(&p, bcast, p.mac, NTY_F_SYN, 1, 0, NULL, 0, 0));
	ASSERT_EQ(0, raw_frame(&p, mcast, p.mac, NTY_F_SYN, 1, 0, NULL, 0, 0));
	p.dport = 7299;
	ASSERT_EQ(0, raw_frame(&p, bcast, p.mac, NTY_F_SYN, 1, 0, NULL, 0, 0));
	ASSERT_EQ(0, raw_frame(&p, mcast, p.mac, NTY_F_ACK, 1, 1, "x", 1, 0));
	/* From a group address (a forged source) to NTY's own MAC. */
	p.dport = 7201;
	ASSERT_EQ(0, raw_frame(&p, n_mac, mcast, NTY_F_SYN, 1, 0, NULL, 0, 0));
	ASSERT_EQ(0, raw_frame(&p, n_mac, bcast, NTY_F_SYN, 1, 0, NULL, 0, 0));
	/* Nothing comes back to anyone: the peer's rx sees every frame on h1. */
	EXPECT_EQ(0, count_incoming(p.rx, 500));
	enter_ns(NS_N);
	EXPECT_EQ(6, drops_of("stream_not_unicast") - k0);
	EXPECT_EQ(6, nty_snmp("InDiscards") - disc0);
	EXPECT_EQ(0, nty_snmp("OutRsts"));

	/* The same SYN, unicast, is answered. */
	enter_ns(NS_P);
	ASSERT_EQ(0, raw_send(&p, NTY_F_SYN, 1, NULL, 0));
	ASSERT_EQ(0, raw_recv(&p, &nh, 3000));
	EXPECT_EQ(NTY_F_SYN | NTY_F_ACK, nh.flags);
	close(lfd);
	raw_close(&p);
}

/*
 * Review defect 15, RFC 5961 as tcp_validate_incoming(): a RST in the
 * window but not at rcv_nxt, and a SYN on the connection, get a challenge
 * ACK and change nothing; an ACK older than snd_una less the largest
 * window is dropped with its data; only an exact RST resets.
 */
TEST_F(hostile, blind_rst_syn_and_old_ack_injection)
{
	struct raw_peer p = { .sport = 31002, .dport = 7202 };
	long long ch0, est0;
	long rst0, syn0, old0;
	struct ntyhdr nh;
	char buf[16];
	uint32_t una, ack;
	int lfd, s;

	enter_ns(NS_N);
	write_file("/proc/sys/net/nty/invalid_ratelimit", "0");
	lfd = listener(7202);
	ASSERT_GE(lfd, 0);
	s = raw_connect(&p, lfd);
	ASSERT_GE(s, 0);
	una = p.snd_nxt;
	ch0 = nty_snmp("ChallengeACKs");
	est0 = nty_snmp("EstabResets");
	rst0 = drops_of("rst_not_exact");
	syn0 = drops_of("syn_synchronized");
	old0 = drops_of("ack_too_old");

	enter_ns(NS_P);
	/* A RST 10 bytes into the window: a challenge ACK, no reset. */
	ASSERT_EQ(0, raw_send(&p, NTY_F_RST, una + 10, NULL, 0));
	ASSERT_EQ(0, raw_recv(&p, &nh, 2000));
	EXPECT_EQ(NTY_F_ACK, nh.flags);
	EXPECT_EQ(una, ntohl(nh.ack_seq));
	/* A SYN on the connection: the same. */
	ASSERT_EQ(0, raw_send(&p, NTY_F_SYN, una + 100, NULL, 0));
	ASSERT_EQ(0, raw_recv(&p, &nh, 2000));
	EXPECT_EQ(NTY_F_ACK, nh.flags);
	EXPECT_EQ(una, ntohl(nh.ack_seq));
	/* Data whose ACK is 1 GB older than anything sent: dropped. */
	ack = p.rcv_nxt;
	p.rcv_nxt -= 1u << 30;
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, una, "evil", 4));
	p.rcv_nxt = ack;
	ASSERT_EQ(0, raw_recv(&p, &nh, 2000));
	EXPECT_EQ(una, ntohl(nh.ack_seq));

	enter_ns(NS_N);
	EXPECT_EQ(3, nty_snmp("ChallengeACKs") - ch0);
	EXPECT_EQ(1, drops_of("rst_not_exact") - rst0);
	EXPECT_EQ(1, drops_of("syn_synchronized") - syn0);
	EXPECT_EQ(1, drops_of("ack_too_old") - old0);
	EXPECT_EQ(0, nty_snmp("EstabResets") - est0);
	EXPECT_EQ(-1, recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);

	/* The real data still arrives, then an exact RST resets. */
	enter_ns(NS_P);
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, una, "good", 4));
	ASSERT_EQ(0, raw_send(&p, NTY_F_RST, una + 4, NULL, 0));
	sleep_ms(300);
	enter_ns(NS_N);
	EXPECT_EQ(4, recv(s, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "good", 4));
	EXPECT_EQ(1, nty_snmp("EstabResets") - est0);
	write_file("/proc/sys/net/nty/invalid_ratelimit", "500");
	close(s);
	close(lfd);
	raw_close(&p);
}

/* The next segment without payload (an ACK), skipping retransmissions. */
static int recv_pure_ack(struct raw_peer *p, struct ntyhdr *nh, int ms)
{
	double end = now_ms() + ms;
	size_t len;

	while (now_ms() < end) {
		if (raw_recv_seg(p, nh, &len, end - now_ms() + 1))
			return -1;
		if (!len)
			return 0;
	}
	return -1;
}

/*
 * Hardening defect 3, tcp_validate_incoming()'s order: the sequence
 * number is checked before anything else of a segment is believed.  With
 * 3,000 bytes in flight, forged segments outside the window (far ahead,
 * and long before the last advertised edge) carrying a plausible ACK (in
 * the middle of the bytes in flight) and a zero window acknowledge
 * nothing and close no window: each draws a duplicate ACK and counts as
 * OutOfWindowSegs or DupSegs.  A RST outside the window draws nothing; a
 * SYN outside it a challenge ACK; then the ACK checks (an ACK of bytes
 * never sent, on an in-window segment: a challenge ACK).  Before the fix
 * the forged ACK freed 1,500 bytes of the send queue.
 */
TEST_F(hostile, sequence_checked_before_ack_rst_syn)
{
	static unsigned char data[4000];
	struct raw_peer p = { .sport = 31005, .dport = 7205 };
	long long oow0, dup0, ch0, est0;
	long rst0, syn0, uns0;
	uint32_t una, far, old;
	struct ntyhdr nh;
	size_t len;
	int lfd, s;

	enter_ns(NS_N);
	write_file("/proc/sys/net/nty/invalid_ratelimit", "0");
	lfd = listener(7205);
	ASSERT_GE(lfd, 0);
	s = raw_connect(&p, lfd);
	ASSERT_GE(s, 0);
	una = p.rcv_nxt;
	far = p.snd_nxt + (1u << 30);
	old = p.snd_nxt - (1u << 20);
	oow0 = nty_snmp("OutOfWindowSegs");
	dup0 = nty_snmp("DupSegs");
	ch0 = nty_snmp("ChallengeACKs");
	est0 = nty_snmp("EstabResets");
	rst0 = drops_of("rst_not_exact");
	syn0 = drops_of("syn_synchronized");
	uns0 = drops_of("ack_unsent_data");
	EXPECT_EQ(3000, send(s, data, 3000, 0));

	enter_ns(NS_P);
	ASSERT_EQ(0, raw_recv_seg(&p, &nh, &len, 3000));
	EXPECT_EQ(una, ntohl(nh.seq));
	/* Far ahead of the window: a pure ACK and a data segment. */
	p.zero_window = 1;
	ASSERT_EQ(0, raw_frame(&p, n_mac, p.mac, NTY_F_ACK, far, una + 1500,
			       NULL, 0, 0));
	ASSERT_EQ(0, recv_pure_ack(&p, &nh, 2000));
	EXPECT_EQ(p.snd_nxt, ntohl(nh.ack_seq));
	ASSERT_EQ(0, raw_frame(&p, n_mac, p.mac, NTY_F_ACK, far, una + 1500,
			       "evil", 4, 0));
	ASSERT_EQ(0, recv_pure_ack(&p, &nh, 2000));
	EXPECT_EQ(p.snd_nxt, ntohl(nh.ack_seq));
	/* Long before the last advertised edge, data and all. */
	ASSERT_EQ(0, raw_frame(&p, n_mac, p.mac, NTY_F_ACK, old, una + 1500,
			       "old!", 4, 0));
	ASSERT_EQ(0, recv_pure_ack(&p, &nh, 2000));
	EXPECT_EQ(p.snd_nxt, ntohl(nh.ack_seq));
	p.zero_window = 0;

	enter_ns(NS_N);
	EXPECT_EQ(3000, outq(s));
	EXPECT_EQ(2, nty_snmp("OutOfWindowSegs") - oow0);
	EXPECT_EQ(1, nty_snmp("DupSegs") - dup0);
	EXPECT_EQ(0, nty_snmp("ChallengeACKs") - ch0);
	/* The window is still the real one: 1,000 more bytes go out at once. */
	EXPECT_EQ(1000, send(s, data + 3000, 1000, 0));
	enter_ns(NS_P);
	do {
		ASSERT_EQ(0, raw_recv_seg(&p, &nh, &len, 1000));
	} while (ntohl(nh.seq) + len != una + 4000);

	/* A RST outside the window: nothing comes back, nothing changes. */
	while (!raw_recv(&p, &nh, 100))
		;
	ASSERT_EQ(0, raw_frame(&p, n_mac, p.mac, NTY_F_RST, far, 0, NULL, 0, 0));
	ASSERT_EQ(0, raw_frame(&p, n_mac, p.mac, NTY_F_RST, old, 0, NULL, 0, 0));
	EXPECT_NE(0, recv_pure_ack(&p, &nh, 300));
	/* A SYN outside the window: a challenge ACK. */
	ASSERT_EQ(0, raw_frame(&p, n_mac, p.mac, NTY_F_SYN, far, 0, NULL, 0, 0));
	ASSERT_EQ(0, recv_pure_ack(&p, &nh, 2000));
	EXPECT_EQ(p.snd_nxt, ntohl(nh.ack_seq));
	/* In the window, an ACK of bytes never sent: a challenge ACK. */
	ASSERT_EQ(0, raw_frame(&p, n_mac, p.mac, NTY_F_ACK, p.snd_nxt,
			       una + 100000, NULL, 0, 0));
	ASSERT_EQ(0, recv_pure_ack(&p, &nh, 2000));
	EXPECT_EQ(p.snd_nxt, ntohl(nh.ack_seq));

	enter_ns(NS_N);
	EXPECT_EQ(4000, outq(s));
	EXPECT_EQ(2, nty_snmp("ChallengeACKs") - ch0);
	EXPECT_EQ(2, drops_of("rst_not_exact") - rst0);
	EXPECT_EQ(1, drops_of("syn_synchronized") - syn0);
	EXPECT_EQ(1, drops_of("ack_unsent_data") - uns0);
	EXPECT_EQ(0, nty_snmp("EstabResets") - est0);

	/* The real ACK takes everything; an exact RST ends it. */
	enter_ns(NS_P);
	p.rcv_nxt = una + 4000;
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, p.snd_nxt, NULL, 0));
	sleep_ms(200);
	enter_ns(NS_N);
	EXPECT_EQ(0, outq(s));
	enter_ns(NS_P);
	ASSERT_EQ(0, raw_send(&p, NTY_F_RST, p.snd_nxt, NULL, 0));
	sleep_ms(200);
	enter_ns(NS_N);
	EXPECT_EQ(1, nty_snmp("EstabResets") - est0);
	write_file("/proc/sys/net/nty/invalid_ratelimit", "500");
	close(s);
	close(lfd);
	raw_close(&p);
}

/*
 * Hardening defect 7: a duplicate of a segment held past a gap had its
 * sequence numbers written over the addresses in its cb before it was
 * dropped, so its journey named a made-up MAC and ports.  Its journey
 * (dropped, dup_segment) names the peer's own.
 */
TEST_F(hostile, ofo_duplicate_journey_keeps_addresses)
{
	struct raw_peer p = { .sport = 31006, .dport = 7206 };
	char line[512], mac[18], what[32], out[16], want[18];
	int lfd, s, sport, dport, found = 0, bad = 0;
	unsigned char got[104];
	long dup0;
	uint32_t una;
	FILE *f;

	lfd = listener(7206);
	ASSERT_GE(lfd, 0);
	s = raw_connect(&p, lfd);
	ASSERT_GE(s, 0);
	una = p.snd_nxt;
	enter_init_ns();
	write_file("/sys/kernel/debug/nty/timing", "1");
	write_file("/sys/kernel/debug/nty/journeys", "0");
	write_file("/sys/kernel/debug/nty/journey_filter", "port=7206 ifindex=0");
	dup0 = drops_of("dup_segment");

	enter_ns(NS_P);
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, una + 100, "abcd", 4));
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, una + 100, "abcd", 4));
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, una, got, 100));
	sleep_ms(300);
	enter_ns(NS_N);
	EXPECT_EQ(104, read_all(s, got, 104));
	EXPECT_EQ(1, drops_of("dup_segment") - dup0);

	snprintf(want, sizeof(want), "%02x:%02x:%02x:%02x:%02x:%02x",
		 p.mac[0], p.mac[1], p.mac[2], p.mac[3], p.mac[4], p.mac[5]);
	enter_init_ns();
	f = fopen("/sys/kernel/debug/nty/journeys", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*u %17s %d %d %*d %*s %*s %*s %*s %*s %15s %*s %31s",
			   mac, &sport, &dport, out, what) != 5)
			continue;
		if (strcmp(mac, want) || sport != 31006 || dport != 7206)
			bad++;
		if (!strcmp(out, "dropped") && !strcmp(what, "dup_segment"))
			found++;
	}
	fclose(f);
	EXPECT_EQ(1, found);
	EXPECT_EQ(0, bad);
	write_file("/sys/kernel/debug/nty/timing", "0");
	write_file("/sys/kernel/debug/nty/journey_filter", "port=0 ifindex=0");
	enter_ns(NS_P);
	ASSERT_EQ(0, raw_send(&p, NTY_F_RST, una + 104, NULL, 0));
	sleep_ms(100);
	close(s);
	close(lfd);
	raw_close(&p);
}

/*
 * Review defect 2: the receiver closes its window on data in flight, then
 * acknowledges all of it with the window open again.  The sender's
 * snd_nxt never went back, so that ACK is taken (the send queue empties)
 * instead of being dropped as "unsent data" and answered forever; and a
 * flood of ACK-only segments the sender must answer (ACKs beyond snd_nxt)
 * gets one answer per invalid_ratelimit, as tcp_oow_rate_limited().
 */
TEST_F(hostile, zero_window_on_data_in_flight_then_ack_all)
{
	static unsigned char data[8000];
	struct raw_peer p = { .sport = 31003, .dport = 7203 };
	long long rl0, ch0;
	uint32_t una, top;
	struct ntyhdr nh;
	size_t len;
	int lfd, s, i, answers;

	lfd = listener(7203);
	ASSERT_GE(lfd, 0);
	s = raw_connect(&p, lfd);
	ASSERT_GE(s, 0);
	una = p.rcv_nxt;
	top = una;
	EXPECT_EQ(8000, send(s, data, sizeof(data), 0));

	/* Take every byte of the 8,000; acknowledge 2,000, window 0. */
	enter_ns(NS_P);
	while (top != una + 8000) {
		ASSERT_EQ(0, raw_recv_seg(&p, &nh, &len, 3000));
		if (len && (int32_t)(ntohl(nh.seq) + len - top) > 0)
			top = ntohl(nh.seq) + len;
	}
	p.rcv_nxt = una + 2000;
	p.zero_window = 1;
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, p.snd_nxt, NULL, 0));
	sleep_ms(100);
	enter_ns(NS_N);
	EXPECT_EQ(6000, outq(s));

	/* Everything, window open: taken, the send queue is empty. */
	enter_ns(NS_P);
	p.rcv_nxt = una + 8000;
	p.zero_window = 0;
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, p.snd_nxt, NULL, 0));
	sleep_ms(200);
	enter_ns(NS_N);
	EXPECT_EQ(0, outq(s));

	/* 50 ACKs of bytes never sent: one answer, the rest rate limited. */
	rl0 = nty_snmp("ACKsRateLimited");
	ch0 = nty_snmp("ChallengeACKs");
	enter_ns(NS_P);
	while (!raw_recv(&p, &nh, 100))
		;
	p.rcv_nxt = una + 100000;
	for (i = 0; i < 50; i++)
		ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, p.snd_nxt, NULL, 0));
	answers = raw_count(&p, 300);
	EXPECT_LE(answers, 1);
	EXPECT_GE(answers, 1);
	enter_ns(NS_N);
	EXPECT_EQ(1, nty_snmp("ChallengeACKs") - ch0);
	EXPECT_EQ(49, nty_snmp("ACKsRateLimited") - rl0);
	enter_ns(NS_P);
	ASSERT_EQ(0, raw_send(&p, NTY_F_RST, p.snd_nxt, NULL, 0));
	sleep_ms(100);
	close(s);
	close(lfd);
	raw_close(&p);
}

/*
 * Data segments to the raw peer within @ms, or until 100 ms after the
 * @want-th (to see one too many): how many, the sequence number of the
 * first, and the end of the highest.
 */
static int data_segs(struct raw_peer *p, int ms, int want, uint32_t *first,
		     uint32_t *top)
{
	double end = now_ms() + ms;
	struct ntyhdr nh;
	size_t len;
	int n = 0;

	while (now_ms() < end &&
	       !raw_recv_seg(p, &nh, &len, end - now_ms() + 1)) {
		if (!len)
			continue;
		if (!n++)
			*first = ntohl(nh.seq);
		if ((int32_t)(ntohl(nh.seq) + len - *top) > 0)
			*top = ntohl(nh.seq) + len;
		if (n == want && end > now_ms() + 100)
			end = now_ms() + 100;
	}
	return n;
}

/*
 * NewReno's congestion window, seen from a peer that decides every ACK
 * (RFC 5681, RFC 6582): ten segments before the first ACK (RFC 6928)
 * though the peer's window takes a megabyte; slow start; three duplicate
 * ACKs resend the head alone, halve ssthresh and set the window to it
 * plus three; further duplicates let one new segment go per segment that
 * left; the ACK of everything ends recovery; a timeout leaves one
 * segment.  /proc/net/nty/sockets shows each step.  Before the window
 * existed, the first burst was every byte the peer's window allowed.
 */
TEST_F(hostile, congestion_window_slow_start_fast_recovery_timeout)
{
	static unsigned char data[200000];
	struct raw_peer p = { .sport = 31009, .dport = 7209, .window = 0xffff };
	long long rr0, fr0, to0;
	uint32_t una, first = 0, top, mss = 9000 - NTY_HLEN;	/* the pair's MTU */
	int lfd, s, n, i, bufsz = 1 << 20;

#define FIG(col)	socket_column_in(7209, "ESTAB", col)
	lfd = listener(7209);
	ASSERT_GE(lfd, 0);
	s = raw_connect(&p, lfd);
	ASSERT_GE(s, 0);
	setsockopt(s, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	rr0 = nty_snmp("RenoRecovery");
	fr0 = nty_snmp("FastRetrans");
	to0 = nty_snmp("Timeouts");
	EXPECT_EQ(10, FIG("cwnd"));
	EXPECT_EQ(-1, FIG("ssthresh"));
	una = p.rcv_nxt;
	top = una;
	EXPECT_LT(100000, send(s, data, sizeof(data), MSG_DONTWAIT));

	/*
	 * The initial window: ten segments, then 300 ms of nothing without
	 * an ACK.  The ACK's sample (about 350 ms) sets an RTO near a
	 * second, which the steps below stay well inside; the first
	 * timeout (1 s, no sample yet) is as far from the ACK.
	 */
	enter_ns(NS_P);
	n = data_segs(&p, 3000, 10, &first, &top);
	EXPECT_EQ(0, data_segs(&p, 300, 0, &first, &top));
	EXPECT_EQ(10, n);
	enter_ns(NS_N);
	EXPECT_LT(11 * mss, outq(s));	/* more was waiting */
	enter_ns(NS_P);
	EXPECT_EQ(una, first);
	EXPECT_EQ(una + 10 * mss, top);

	/* Two segments acknowledged: slow start, 12; two left, four go. */
	p.rcv_nxt = una + 2 * mss;
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, p.snd_nxt, NULL, 0));
	EXPECT_EQ(4, data_segs(&p, 400, 4, &first, &top));
	EXPECT_EQ(una + 14 * mss, top);
	enter_ns(NS_N);
	EXPECT_EQ(12, FIG("cwnd"));

	/* Three duplicates: the head alone, ssthresh 12 / 2, window 6 + 3. */
	enter_ns(NS_P);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, p.snd_nxt, NULL, 0));
	first = 0;
	EXPECT_EQ(1, data_segs(&p, 400, 1, &first, &top));
	EXPECT_EQ(una + 2 * mss, first);
	enter_ns(NS_N);
	EXPECT_EQ(6, FIG("ssthresh"));
	EXPECT_EQ(9, FIG("cwnd"));
	EXPECT_EQ(1, FIG("ca_state"));
	EXPECT_EQ(1, nty_snmp("RenoRecovery") - rr0);
	EXPECT_EQ(1, nty_snmp("FastRetrans") - fr0);

	/* Three more inflate to 12 = the flight; the fourth lets one go. */
	enter_ns(NS_P);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, p.snd_nxt, NULL, 0));
	EXPECT_EQ(0, data_segs(&p, 150, 0, &first, &top));
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, p.snd_nxt, NULL, 0));
	first = 0;
	EXPECT_EQ(1, data_segs(&p, 400, 1, &first, &top));
	EXPECT_EQ(una + 14 * mss, first);

	/*
	 * All that was sent before recovery: it ends, the window is the
	 * one segment still in flight plus one (below ssthresh), and one
	 * more goes.
	 */
	p.rcv_nxt = una + 14 * mss;
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, p.snd_nxt, NULL, 0));
	first = 0;
	EXPECT_EQ(1, data_segs(&p, 400, 1, &first, &top));
	EXPECT_EQ(una + 15 * mss, first);
	enter_ns(NS_N);
	/* A timeout so far means the emulator ran slower than the RTO. */
	ASSERT_EQ(0, nty_snmp("Timeouts") - to0);
	EXPECT_EQ(0, FIG("ca_state"));
	EXPECT_EQ(2, FIG("cwnd"));
	EXPECT_EQ(6, FIG("ssthresh"));
	EXPECT_EQ(1, FIG("retrans"));

	/*
	 * Silence: the timer resends the head; one segment may be in
	 * flight, ssthresh is half the two in flight (at least two) and
	 * slow start begins again.
	 */
	enter_ns(NS_P);
	first = 0;
	EXPECT_EQ(1, data_segs(&p, 4000, 1, &first, &top));
	EXPECT_EQ(una + 14 * mss, first);
	enter_ns(NS_N);
	EXPECT_EQ(1, nty_snmp("Timeouts") - to0);
	EXPECT_EQ(1, FIG("cwnd"));
	EXPECT_EQ(2, FIG("ssthresh"));
	EXPECT_EQ(2, FIG("ca_state"));
	EXPECT_EQ(2, FIG("retrans"));
#undef FIG

	enter_ns(NS_P);
	ASSERT_EQ(0, raw_send(&p, NTY_F_RST, p.snd_nxt, NULL, 0));
	sleep_ms(100);
	close(s);
	close(lfd);
	raw_close(&p);
}

/*
 * Review defect 6: a closed socket whose peer holds its window at zero
 * (answering every probe) gives up after orphan_retries probes, as
 * tcp_probe_timer() does for an orphan, instead of probing forever; and
 * past max_orphans a close resets at once (OrphanAborts).
 */
TEST_F_TIMEOUT(hostile, orphan_on_zero_window_gives_up, 60)
{
	static unsigned char data[100000];
	struct raw_peer p = { .sport = 31004, .dport = 7204 };
	long long ab0, rsts0;
	uint32_t una, top;
	struct ntyhdr nh;
	double end;
	size_t len;
	int lfd, s, gone = 0;

	enter_ns(NS_N);
	write_file("/proc/sys/net/nty/orphan_retries", "2");
	lfd = listener(7204);
	ASSERT_GE(lfd, 0);
	s = raw_connect(&p, lfd);
	ASSERT_GE(s, 0);
	una = p.rcv_nxt;
	top = una;
	EXPECT_EQ(sizeof(data), send(s, data, sizeof(data), MSG_DONTWAIT));
	close(s);
	EXPECT_EQ(1, connections_on(7204));

	/* Take what the window allowed, answer everything with window 0. */
	enter_ns(NS_P);
	p.zero_window = 1;
	for (end = now_ms() + 30000; now_ms() < end;) {
		if (raw_recv_seg(&p, &nh, &len, 200)) {
			enter_ns(NS_N);
			gone = !connections_on(7204);
			enter_ns(NS_P);
			if (gone)
				break;
			continue;
		}
		if (len && (int32_t)(ntohl(nh.seq) + len - top) > 0)
			top = ntohl(nh.seq) + len;
		p.rcv_nxt = top;
		raw_send(&p, NTY_F_ACK, p.snd_nxt, NULL, 0);
	}
	EXPECT_TRUE(gone);
	enter_ns(NS_N);
	EXPECT_LE(nty_snmp("WindowProbes"), 4);

	/* max_orphans 0: the next close with data unsent resets at once. */
	write_file("/proc/sys/net/nty/max_orphans", "0");
	ab0 = nty_snmp("OrphanAborts");
	rsts0 = nty_snmp("OutRsts");
	raw_close(&p);
	p.sport++;
	p.zero_window = 0;
	s = raw_connect(&p, lfd);
	ASSERT_GE(s, 0);
	EXPECT_EQ(sizeof(data), send(s, data, sizeof(data), MSG_DONTWAIT));
	close(s);
	EXPECT_EQ(1, nty_snmp("OrphanAborts") - ab0);
	EXPECT_EQ(1, nty_snmp("OutRsts") - rsts0);
	EXPECT_EQ(0, connections_on(7204));
	write_file("/proc/sys/net/nty/max_orphans", "16384");
	write_file("/proc/sys/net/nty/orphan_retries", "0");
	close(lfd);
	raw_close(&p);
}

/* The receive buffer a socket is charged for now (SO_MEMINFO). */
static long rmem_alloc(int s)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t l = sizeof(mi);

	return getsockopt(s, SOL_SOCKET, SO_MEMINFO, mi, &l) ? -1 :
	       mi[SK_MEMINFO_RMEM_ALLOC];
}

/*
 * A peer that sends past a hole until segments held out of order fill the
 * receive buffer, then the hole's bytes: the held segments are pruned
 * from the far end (OfoPruned, drop kind ofo_pruned) so that the hole can
 * fill.  Before the prune the hole's bytes were refused for ever (out of
 * window, or rcvbuf) and the connection stalled, which is how NTY streams
 * of 64-byte writes once stalled over virtio-net.
 */
TEST_F(hostile, ofo_queue_filling_the_buffer_pruned_for_the_hole)
{
	static unsigned char data[64 * 801], got[64 * 801];
	struct raw_peer p = { .sport = 31005, .dport = 7205 };
	long long pr0, k0, oow0, rb0;
	uint32_t una, ack = 0;
	struct ntyhdr nh;
	int lfd, s, i, j, n, tries;

	pattern(data, sizeof(data), 0);
	lfd = listener(7205);
	ASSERT_GE(lfd, 0);
	s = raw_connect(&p, lfd);
	ASSERT_GE(s, 0);
	una = p.snd_nxt;
	pr0 = nty_snmp("OfoPruned");
	oow0 = nty_snmp("OutOfWindowSegs");
	rb0 = nty_snmp("RcvbufErrors");
	k0 = drops_of("ofo_pruned");
	ASSERT_GE(k0, 0);

	/* 800 segments of 64 bytes past a 64-byte hole: more than fit. */
	enter_ns(NS_P);
	for (i = 1; i <= 800; i++)
		ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, una + 64 * i,
				      data + 64 * i, 64));
	while (!raw_recv(&p, &nh, 300))
		;
	enter_ns(NS_N);
	/* The buffer filled: the last segments found no room. */
	EXPECT_LT(0, nty_snmp("RcvbufErrors") - rb0 +
		     nty_snmp("OutOfWindowSegs") - oow0);
	EXPECT_EQ(0, nty_snmp("OfoPruned") - pr0);

	/* The hole, until it is taken (the first may meet a closed window). */
	enter_ns(NS_P);
	for (tries = 0; tries < 3; tries++) {
		ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, una, data, 64));
		while (!raw_recv(&p, &nh, 300))
			ack = ntohl(nh.ack_seq);
		if (ack != una)
			break;
	}
	EXPECT_LE(tries, 1);
	/* Taken, and the held segments next to it with it. */
	EXPECT_LT(una + 64, ack);
	EXPECT_EQ(0, (ack - una) % 64);
	enter_ns(NS_N);
	EXPECT_LT(0, nty_snmp("OfoPruned") - pr0);
	EXPECT_EQ(nty_snmp("OfoPruned") - pr0, drops_of("ofo_pruned") - k0);
	EXPECT_EQ(ack - una, read_all(s, got, ack - una));
	EXPECT_EQ(0, memcmp(got, data, ack - una));

	/* The pruned ones again, 50 at a time: the stream arrives whole. */
	for (i = (ack - una) / 64; i <= 800; i += n) {
		n = 801 - i < 50 ? 801 - i : 50;
		enter_ns(NS_P);
		for (j = i; j < i + n; j++)
			ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, una + 64 * j,
					      data + 64 * j, 64));
		enter_ns(NS_N);
		ASSERT_EQ(64 * n, read_all(s, got + 64 * i, 64 * n));
	}
	EXPECT_EQ(0, memcmp(got, data, sizeof(data)));
	enter_ns(NS_P);
	ASSERT_EQ(0, raw_send(&p, NTY_F_RST, una + sizeof(data), NULL, 0));
	sleep_ms(100);
	close(s);
	close(lfd);
	raw_close(&p);
}

/*
 * Small in-order segments are appended to the receive queue's last skb
 * (RcvCoalesce, as TCPRcvCoalesce): 100 segments of 8 bytes cost far less
 * than 100 skbs, and the bytes read back in order.
 */
TEST_F(hostile, small_segments_coalesced_in_the_receive_queue)
{
	static unsigned char data[800], got[800];
	struct raw_peer p = { .sport = 31006, .dport = 7206 };
	long long co0;
	long r1, r100;
	struct ntyhdr nh;
	uint32_t una;
	int lfd, s, i;

	pattern(data, sizeof(data), 0);
	lfd = listener(7206);
	ASSERT_GE(lfd, 0);
	s = raw_connect(&p, lfd);
	ASSERT_GE(s, 0);
	una = p.snd_nxt;
	co0 = nty_snmp("RcvCoalesce");
	enter_ns(NS_P);
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, una, data, 8));
	sleep_ms(100);
	enter_ns(NS_N);
	r1 = rmem_alloc(s);
	ASSERT_LT(0, r1);
	enter_ns(NS_P);
	for (i = 1; i < 100; i++)
		ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, una + 8 * i, data + 8 * i,
				      8));
	while (!raw_recv(&p, &nh, 300))
		;
	EXPECT_EQ(una + 800, ntohl(nh.ack_seq));
	enter_ns(NS_N);
	r100 = rmem_alloc(s);
	TH_LOG("rmem: %ld after one segment, %ld after 100; %lld coalesced",
	       r1, r100, nty_snmp("RcvCoalesce") - co0);
	EXPECT_LT(50, nty_snmp("RcvCoalesce") - co0);
	EXPECT_GT(r1 * 50, r100);
	EXPECT_EQ(800, read_all(s, got, 800));
	EXPECT_EQ(0, memcmp(got, data, 800));
	EXPECT_EQ(0, rmem_alloc(s));
	enter_ns(NS_P);
	ASSERT_EQ(0, raw_send(&p, NTY_F_RST, una + 800, NULL, 0));
	sleep_ms(100);
	close(s);
	close(lfd);
	raw_close(&p);
}

/*
 * A frame from a device without an Ethernet header: tun with packet
 * information hands NTY's EtherType up with no MAC header at all.  It is
 * dropped as not_ethernet (InHdrErrors) before anything reads a sender
 * MAC out of the NTY header; a socket on its port gets nothing.
 */
TEST_F(hostile, frame_without_ethernet_header_dropped)
{
	unsigned char frame[4 + NTY_HLEN + 8] = { 0 };
	struct tun_pi *pi = (struct tun_pi *)frame;
	struct ntyhdr *nh = (struct ntyhdr *)(frame + 4);
	struct ifreq ifr = { .ifr_flags = IFF_TUN };
	struct sockaddr_nty a = { .snty_family = fam, .snty_port = htons(7205) };
	long k0;
	long long h0;
	char buf[16];
	int tun, rx;

	enter_ns(NS_N);
	tun = open("/dev/net/tun", O_RDWR);
	ASSERT_GE(tun, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "ntytun0");
	ASSERT_EQ(0, ioctl(tun, TUNSETIFF, &ifr));
	sh("ip -n " NS_N " link set ntytun0 up");
	rx = socket(fam, SOCK_DGRAM, 0);
	ASSERT_EQ(0, bind(rx, (struct sockaddr *)&a, sizeof(a)));
	k0 = drops_of("not_ethernet");
	h0 = nty_snmp("InHdrErrors");

	pi->proto = htons(read_long("/sys/module/nty/parameters/ethertype"));
	nh->version = NTY_VERSION;
	nh->type = NTY_TYPE_DGRAM;
	nh->source = htons(1);
	nh->dest = htons(7205);
	nh->len = htons(NTY_HLEN + 8);
	memcpy(frame + 4 + NTY_HLEN, "from tun", 8);
	nh->check = csum(nh, NTY_HLEN + 8);
	ASSERT_EQ(sizeof(frame), write(tun, frame, sizeof(frame)));
	sleep_ms(200);
	EXPECT_EQ(1, drops_of("not_ethernet") - k0);
	EXPECT_EQ(1, nty_snmp("InHdrErrors") - h0);
	EXPECT_EQ(-1, recv(rx, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	close(rx);
	close(tun);
}

TEST_HARNESS_MAIN

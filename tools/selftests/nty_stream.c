// SPDX-License-Identifier: GPL-2.0
/*
 * Stream sockets end to end, across two namespaces joined by veth
 * (tools/selftests/topo.sh): connections and the listener's two queues,
 * reliable ordered bytes through loss, reordering and duplication, the
 * send queue, flow control, the three socket queues, closing, and epoll's
 * five moments.  Clients live in nty-a, listeners in nty-b.
 *
 * Every test asserts the behaviour and the counters that prove it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/ethernet.h>
#include <net/if.h>

#include "kselftest_harness.h"
#include "nty_test.h"
#include "nty_raw.h"

#define NS_A "nty-a"
#define NS_B "nty-b"
#define SYSCTL "/proc/sys/net/nty/"
#define BULK (64 << 20)
/* Payload of a full segment over veth (MTU 1500). */
#define NTY_MSS_VETH	(1500 - NTY_HLEN)
#define NETEM_LOSSY \
	"tc -n nty-a qdisc add dev va root netem delay 1ms loss 5% reorder 25% 50% duplicate 5%"

static struct nty_topo topo;

FIXTURE(stream) {
	struct nty_topo *t;
};

FIXTURE_SETUP(stream)
{
	/* Senders on one CPU: no reordering between the per-CPU backlogs. */
	ASSERT_EQ(0, pin_cpu(0));
	self->t = &topo;
	ASSERT_EQ(0, nty_topo_learn(&topo));
}

FIXTURE_TEARDOWN(stream)
{
	/* A test that failed half-way must not leave the path changed. */
	enter_init_ns();
	write_file(SYSCTL "backlog", "always");
}

static void sysctl_in(const char *ns, const char *name, const char *val)
{
	char path[128];

	enter_ns(ns);
	snprintf(path, sizeof(path), SYSCTL "%s", name);
	write_file(path, val);
}

/* Write a sysctl in @ns; return 0 or the errno the write failed with. */
static int sysctl_write_errno(const char *ns, const char *name,
			      const char *val)
{
	char path[128];
	int fd, err = 0;

	enter_ns(ns);
	snprintf(path, sizeof(path), SYSCTL "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	if (write(fd, val, strlen(val)) < 0)
		err = errno;
	close(fd);
	return err;
}

static void sh(const char *cmd)
{
	if (system(cmd))
		fprintf(stderr, "'%s' failed\n", cmd);
}

static int listener(int port, int backlog)
{
	struct sockaddr_nty a = {
		.snty_family = topo.fam,
		.snty_port = htons(port),
	};
	int fd;

	enter_ns(NS_B);
	fd = socket(topo.fam, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(fd, backlog)) {
		fprintf(stderr, "%s %d: %s\n", __func__, port, strerror(errno));
		return -1;
	}
	return fd;
}

static struct sockaddr_nty addr_b(int port)
{
	struct sockaddr_nty a = {
		.snty_family = topo.fam,
		.snty_port = htons(port),
		.snty_ifindex = topo.va_ifindex,
	};

	memcpy(a.snty_addr, topo.vb_mac, 6);
	return a;
}

/* A client in nty-a connecting to nty-b:@port; -1 and errno on failure. */
static int client(int port, int nonblock)
{
	struct sockaddr_nty a = addr_b(port);
	int fd, err;

	enter_ns(NS_A);
	fd = socket(topo.fam, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !(nonblock && errno == EINPROGRESS)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static int accept_within(int lfd, int ms)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	if (poll(&p, 1, ms) != 1)
		return -1;
	return accept(lfd, NULL, NULL);
}

/* A connected pair: *c in nty-a, *s in nty-b. */
static int pair(int port, int *c, int *s)
{
	int lfd = listener(port, 8);

	if (lfd < 0)
		return -1;
	*c = client(port, 0);
	*s = *c < 0 ? -1 : accept_within(lfd, 5000);
	close(lfd);
	return *c < 0 || *s < 0 ? -1 : 0;
}

static int set_timeo(int fd, int opt, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };

	return setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

/* Read exactly @len bytes (5 s budget). */
static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	set_timeo(fd, SO_RCVTIMEO, 5000);
	while (got < len) {
		n = recv(fd, (char *)buf + got, len - got, 0);
		if (n <= 0)
			return got ? (ssize_t)got : n;
		got += n;
	}
	return got;
}

static void pattern(unsigned char *buf, size_t len, uint64_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)((off + i) * 131 + ((off + i) >> 12));
}

/*
 * Rows of /proc/net/nty/sockets with remote port @rport (-1: any) in @state; with
 * @tx, the tx_queue of the last such row (-1 when none).
 */
static int count_rows_tx(int rport, const char *state, long *tx)
{
	char line[512], st[32];
	unsigned int lport, rp;
	long q;
	int n = 0;
	FILE *f = fopen("/proc/net/nty/sockets", "r");

	if (tx)
		*tx = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %31s %u %*s %u %*d %*d %*u %*u %ld", st,
			   &lport, &rp, &q) == 4 &&
		    (rport < 0 || (int)rp == rport) && !strcmp(st, state)) {
			n++;
			if (tx)
				*tx = q;
		}
	fclose(f);
	return n;
}

static int count_rows(int rport, const char *state)
{
	return count_rows_tx(rport, state, NULL);
}

/* The client's tx_queue: bytes written and not yet acknowledged. */
static long client_tx_queue(int rport)
{
	long tx;

	enter_ns(NS_A);
	count_rows_tx(rport, "ESTAB", &tx);
	return tx;
}

TEST_F(stream, handshake_echo_and_states)
{
	long long act0, pas0;
	struct sockaddr_nty peer;
	socklen_t alen = sizeof(peer);
	char buf[64];
	int c, s;

	act0 = snmp_in(NS_A, "ActiveOpens");
	pas0 = snmp_in(NS_B, "PassiveOpens");
	ASSERT_EQ(0, pair(7100, &c, &s));
	EXPECT_EQ(1, snmp_in(NS_A, "ActiveOpens") - act0);
	EXPECT_EQ(1, snmp_in(NS_B, "PassiveOpens") - pas0);

	ASSERT_EQ(0, getpeername(s, (struct sockaddr *)&peer, &alen));
	EXPECT_EQ(0, memcmp(peer.snty_addr, self->t->va_mac, 6));
	EXPECT_EQ(self->t->vb_ifindex, peer.snty_ifindex);

	ASSERT_EQ(5, send(c, "hello", 5, 0));
	ASSERT_EQ(5, read_full(s, buf, 5));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	/* recvfrom() names the peer, as it does for every NTY socket. */
	ASSERT_EQ(1, send(c, "!", 1, 0));
	memset(&peer, 0, sizeof(peer));
	alen = sizeof(peer);
	ASSERT_EQ(1, recvfrom(s, buf, 1, 0, (struct sockaddr *)&peer, &alen));
	EXPECT_EQ(sizeof(peer), alen);
	EXPECT_EQ(0, memcmp(peer.snty_addr, self->t->va_mac, 6));
	EXPECT_EQ(self->t->vb_ifindex, peer.snty_ifindex);
	ASSERT_EQ(3, send(s, "bye", 3, 0));
	ASSERT_EQ(3, read_full(c, buf, 3));
	EXPECT_EQ(0, memcmp(buf, "bye", 3));

	enter_ns(NS_B);
	EXPECT_EQ(0, socket_column_in(7100, "ESTAB", "rx_queue"));
	/* Active close: FIN_WAIT2 then TIME_WAIT on the client's side. */
	close(c);
	sleep_ms(200);
	enter_ns(NS_B);
	EXPECT_EQ(7100, socket_column_in(7100, "CLOSE_WAIT", "lport"));
	close(s);
	sleep_ms(300);
	enter_ns(NS_A);
	EXPECT_EQ(1, count_rows(7100, "TIME_WAIT"));
	sleep_ms(1500);
	EXPECT_EQ(0, count_rows(7100, "TIME_WAIT"));
	enter_ns(NS_B);
	EXPECT_EQ(-1, socket_column(7100, "rx_queue"));
}

TEST_F(stream, accept_queue_overflows_past_backlog)
{
	int lfd, c[5], s, i, n = 0;
	long long ovf0, drops0;

	lfd = listener(7102, 4);
	ASSERT_GE(lfd, 0);
	ovf0 = nty_snmp("ListenOverflows");
	drops0 = nty_snmp("ListenDrops");
	for (i = 0; i < 5; i++) {
		c[i] = client(7102, 1);
		ASSERT_GE(c[i], 0);
		sleep_ms(100);
	}
	EXPECT_GE(wait_snmp(NS_B, "ListenOverflows", ovf0 + 1) - ovf0, 1);
	EXPECT_GE(nty_snmp("ListenDrops") - drops0, 1);
	EXPECT_EQ(4, socket_column_in(7102, "LISTEN", "rx_queue"));

	/* Four wait for accept(); the fifth is refused for now. */
	fcntl(lfd, F_SETFL, O_NONBLOCK);
	for (i = 0; i < 4; i++) {
		s = accept(lfd, NULL, NULL);
		EXPECT_GE(s, 0);
		n += s >= 0;
		close(s);
	}
	EXPECT_EQ(4, n);
	EXPECT_EQ(-1, accept(lfd, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	/* With room again, the fifth gets in on its SYN retry. */
	s = accept_within(lfd, 5000);
	EXPECT_GE(s, 0);
	close(s);
	for (i = 0; i < 5; i++)
		close(c[i]);
	close(lfd);
}

static const unsigned char spoofed_mac[6] = { 2, 0, 0, 0, 0, 0x77 };

/* A SYN from a made-up peer, as a flooder sends it. */
static int raw_syn(int sport, int dport, uint32_t seq)
{
	unsigned char buf[NTY_HLEN] = { 0 };
	struct ntyhdr *nh = (struct ntyhdr *)buf;

	nh->version = NTY_VERSION;
	nh->type = NTY_TYPE_STREAM;
	nh->flags = NTY_F_SYN;
	nh->source = htons(sport);
	nh->dest = htons(dport);
	nh->len = htons(NTY_HLEN);
	nh->seq = htonl(seq);
	nh->window = htons(1000);
	nh->check = csum(buf, NTY_HLEN);
	/* From a MAC nobody has: the SYN-ACKs go unanswered, as in a flood. */
	enter_ns(NS_A);
	return inject_raw(topo.va_ifindex, spoofed_mac, topo.vb_mac, buf,
			  NTY_HLEN);
}

TEST_F_TIMEOUT(stream, syn_flood_fills_syn_queue_only, 60)
{
	unsigned char out[4096], in[4096];
	long long syn0, v;
	int lfd, c, s, c2, s2, i;

	sysctl_in(NS_B, "max_syn_backlog", "16");
	lfd = listener(7103, 64);
	ASSERT_GE(lfd, 0);
	c = client(7103, 0);
	ASSERT_GE(c, 0);
	s = accept_within(lfd, 5000);
	ASSERT_GE(s, 0);
	syn0 = snmp_in(NS_B, "SynQueueDrops");

	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, raw_syn(20000 + i, 7103, i * 1000));
	v = wait_snmp(NS_B, "SynQueueDrops", syn0 + 48);
	EXPECT_EQ(48, v - syn0);

	/* The established connection does not notice. */
	for (i = 0; i < 20; i++) {
		pattern(out, sizeof(out), i);
		ASSERT_EQ((ssize_t)sizeof(out), send(c, out, sizeof(out), 0));
		ASSERT_EQ((ssize_t)sizeof(in), read_full(s, in, sizeof(in)));
		ASSERT_EQ(0, memcmp(out, in, sizeof(in)));
	}

	/* The half-open entries expire; then a new connection gets in. */
	sysctl_in(NS_B, "synack_retries", "0");
	sleep_ms(3500);
	c2 = client(7103, 0);
	EXPECT_GE(c2, 0);
	s2 = accept_within(lfd, 5000);
	EXPECT_GE(s2, 0);
	close(c2);
	close(s2);
	close(c);
	close(s);
	close(lfd);
	sysctl_in(NS_B, "max_syn_backlog", "256");
	sysctl_in(NS_B, "synack_retries", "5");
}

TEST_F(stream, connect_refused_without_listener)
{
	long long fail0, rst0;
	int fd;

	fail0 = snmp_in(NS_A, "AttemptFails");
	rst0 = snmp_in(NS_B, "OutRsts");
	fd = client(7104, 0);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(ECONNREFUSED, errno);
	EXPECT_EQ(1, snmp_in(NS_A, "AttemptFails") - fail0);
	EXPECT_EQ(1, snmp_in(NS_B, "OutRsts") - rst0);
}

TEST_F_TIMEOUT(stream, connect_times_out_with_syn_retries, 30)
{
	struct sockaddr_nty a = addr_b(7105);
	long long retr0;
	double t0;
	int fd;

	sysctl_in(NS_A, "syn_retries", "1");
	retr0 = nty_snmp("RetransSegs");
	fd = socket(topo.fam, SOCK_STREAM, 0);
	ASSERT_GE(fd, 0);
	memcpy(a.snty_addr, "\x02\x00\x00\x00\x00\xee", 6);	/* nobody */
	t0 = now_ms();
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(ETIMEDOUT, errno);
	/* One retry after 1 s, given up 2 s later (backoff). */
	EXPECT_GE(now_ms() - t0, 2500);
	EXPECT_EQ(1, snmp_in(NS_A, "RetransSegs") - retr0);
	close(fd);
	sysctl_in(NS_A, "syn_retries", "6");
}

TEST_F(stream, nonblocking_connect_and_accept)
{
	struct epoll_event ev = { .events = EPOLLOUT }, out;
	int lfd, c, s, ep, err = -1;
	socklen_t len = sizeof(err);

	lfd = listener(7106, 4);
	ASSERT_GE(lfd, 0);
	fcntl(lfd, F_SETFL, O_NONBLOCK);
	EXPECT_EQ(-1, accept(lfd, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);

	c = client(7106, 1);
	ASSERT_GE(c, 0);
	EXPECT_EQ(EINPROGRESS, errno);
	ep = epoll_create1(0);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev));
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, 5000));
	EXPECT_TRUE(out.events & EPOLLOUT);
	EXPECT_EQ(0, getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(0, err);
	s = accept_within(lfd, 5000);
	EXPECT_GE(s, 0);
	close(ep);
	close(c);
	close(s);
	close(lfd);
}

/* The sending half of a bulk transfer, in its own process in nty-a. */
static void bulk_send(int port, size_t total, int hash_fd)
{
	static unsigned char buf[65536];
	uint64_t h = NTY_FNV_INIT;
	size_t off = 0, n;
	int fd;

	pin_cpu(0);
	fd = client(port, 0);
	if (fd < 0)
		_exit(1);
	while (off < total) {
		n = total - off < sizeof(buf) ? total - off : sizeof(buf);
		pattern(buf, n, off);
		if (send(fd, buf, n, 0) != (ssize_t)n)
			_exit(2);
		h = nty_fnv1a(h, buf, n);
		off += n;
	}
	if (write(hash_fd, &h, sizeof(h)) != sizeof(h))
		_exit(3);
	close(fd);
	_exit(0);
}

/*
 * 64 MiB from nty-a to nty-b; returns 0 when both ends hashed the same.
 * The receiver runs on @rcpu.  With the ends on different CPUs, segments
 * the sender sends from the softirq that took an ACK on the receiver's
 * CPU can overtake its own (veth hands each frame to the local CPU's
 * backlog): reordering, which three duplicate ACKs then repair.
 */
static int bulk(struct __test_metadata *_metadata, int port, int rcpu)
{
	static unsigned char buf[65536];
	uint64_t h = NTY_FNV_INIT, hs = 0;
	size_t got = 0;
	int lfd, s, p[2];
	ssize_t n;
	pid_t pid;

	lfd = listener(port, 4);
	if (lfd < 0 || pipe(p))
		return -1;
	pid = fork();
	if (pid == 0)
		bulk_send(port, BULK, p[1]);
	pin_cpu(rcpu);
	s = accept_within(lfd, 10000);
	close(lfd);
	if (s < 0)
		return -1;
	set_timeo(s, SO_RCVTIMEO, 60000);
	while ((n = recv(s, buf, sizeof(buf), 0)) > 0) {
		h = nty_fnv1a(h, buf, n);
		got += n;
	}
	close(s);
	pin_cpu(0);
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ((ssize_t)sizeof(hs), read(p[0], &hs, sizeof(hs)));
	close(p[0]);
	close(p[1]);
	EXPECT_EQ((size_t)BULK, got);
	EXPECT_EQ(hs, h);
	return got == BULK && hs == h ? 0 : -1;
}

TEST_F_TIMEOUT(stream, bulk_64mib_clean_path_no_retransmission, 600)
{
	long long retr0 = snmp_in(NS_A, "RetransSegs");

	/* One CPU for both ends: no reordering, so nothing to resend. */
	ASSERT_EQ(0, bulk(_metadata, 7107, 0));
	EXPECT_EQ(0, snmp_in(NS_A, "RetransSegs") - retr0);
}

TEST_F_TIMEOUT(stream, bulk_64mib_through_loss_reorder_duplication, 900)
{
	long long retr0, ofo0, dup0;

	retr0 = snmp_in(NS_A, "RetransSegs");
	ofo0 = snmp_in(NS_B, "OfoQueued");
	dup0 = snmp_in(NS_B, "DupSegs");
	/*
	 * netem drops, delays and copies a train whole, as it does TCP's GSO
	 * frames; without SACK, NewReno repairs a lost train one segment per
	 * round trip.  The loss this test is about is per segment: no trains.
	 */
	sh("ip netns exec nty-a ethtool -K va gso off");
	sh(NETEM_LOSSY);
	EXPECT_EQ(0, bulk(_metadata, 7108, 1));
	sh("tc -n nty-a qdisc del dev va root");
	sh("ip netns exec nty-a ethtool -K va gso on");
	EXPECT_GT(snmp_in(NS_A, "RetransSegs") - retr0, 0);
	EXPECT_GT(snmp_in(NS_B, "OfoQueued") - ofo0, 0);
	EXPECT_GT(snmp_in(NS_B, "DupSegs") - dup0, 0);
}

struct writer {
	int fd;
	size_t total;
};

static void *write_pattern(void *p)
{
	static unsigned char buf[65536];
	struct writer *w = p;
	size_t off = 0, n;

	while (off < w->total) {
		n = w->total - off < sizeof(buf) ? w->total - off : sizeof(buf);
		pattern(buf, n, off);
		if (send(w->fd, buf, n, 0) != (ssize_t)n)
			break;
		off += n;
	}
	return NULL;
}

/* @total bytes from @c to @s; 0 when every byte arrived as sent. */
static int transfer(int c, int s, size_t total)
{
	static unsigned char buf[65536], want[65536];
	struct writer w = { .fd = c, .total = total };
	size_t got = 0;
	pthread_t th;
	int bad = 0;
	ssize_t n;

	if (pthread_create(&th, NULL, write_pattern, &w))
		return -1;
	set_timeo(s, SO_RCVTIMEO, 30000);
	while (got < total && (n = recv(s, buf, sizeof(buf), 0)) > 0) {
		pattern(want, n, got);
		bad |= memcmp(buf, want, n);
		got += n;
	}
	pthread_join(th, NULL);
	return got == total && !bad ? 0 : -1;
}

struct gso_counts {
	long long out_frames, out_trains, out_segmented, in_frames, in_trains;
	long long in_merged, in_merged_segs;
};

static void gso_counts(struct gso_counts *g)
{
	sleep_ms(300);
	g->out_frames = snmp_in(NS_A, "OutFrames");
	g->out_trains = snmp_in(NS_A, "OutGsoTrains");
	g->out_segmented = snmp_in(NS_A, "OutGsoSegmented");
	g->in_frames = snmp_in(NS_B, "InFrames");
	g->in_trains = snmp_in(NS_B, "InGsoTrains");
	g->in_merged = snmp_in(NS_B, "InGroMerged");
	g->in_merged_segs = snmp_in(NS_B, "InGroSegs");
}

/* A tap on vb in nty-b: the receiving side shares each frame with it. */
static int tap_open(void)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
	};
	int fd;

	enter_ns(NS_B);
	sll.sll_ifindex = if_nametoindex("vb");
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The longest frame the tap saw (it reads whole frames, trains too). */
static ssize_t tap_longest(int fd)
{
	static unsigned char buf[70000];
	ssize_t n, max = 0;

	while ((n = recv(fd, buf, sizeof(buf), MSG_TRUNC)) > 0)
		if (n > max)
			max = n;
	return max;
}

/*
 * Segmentation offload (gso.c): a write leaves as trains; veth forwards a
 * train whole and nty_rcv() takes it apart, then merges its in-order
 * segments as GRO would (gro.c), each segment counted as a frame at both
 * ends and most of them carried in merged skbs; a tap on the receiving
 * veth sees the train as one frame of up to 64 KB (as tcpdump sees TCP's
 * GSO frames).  With tx-gso-list off the stack segments the train before
 * the device; with gso off no trains are built; either way veth (no GRO
 * unless asked) hands NTY single segments and nothing is merged.  Every
 * byte arrives, in every mode.
 */
TEST_F_TIMEOUT(stream, trains_whole_over_veth_or_segmented, 120)
{
	const size_t total = 4 << 20;
	struct gso_counts g0, g1;
	int c, s, tap;

	ASSERT_EQ(0, pair(7125, &c, &s));
	tap = tap_open();
	ASSERT_GE(tap, 0);
	tap_longest(tap);
	gso_counts(&g0);
	ASSERT_EQ(0, transfer(c, s, total));
	gso_counts(&g1);
	EXPECT_GT(g1.out_trains - g0.out_trains, 0);
	EXPECT_EQ(g1.out_trains - g0.out_trains, g1.in_trains - g0.in_trains);
	EXPECT_EQ(0, g1.out_segmented - g0.out_segmented);
	EXPECT_EQ(g1.out_frames - g0.out_frames, g1.in_frames - g0.in_frames);
	EXPECT_GT(g1.out_frames - g0.out_frames, (long long)total / NTY_MSS_VETH);
	/* Most segments arrive merged, several to an skb. */
	EXPECT_GT(g1.in_merged - g0.in_merged, 0);
	EXPECT_GT(2 * (g1.in_merged_segs - g0.in_merged_segs),
		  g1.in_frames - g0.in_frames);
	EXPECT_GT(g1.in_merged_segs - g0.in_merged_segs,
		  4 * (g1.in_merged - g0.in_merged));
	EXPECT_GT(tap_longest(tap), 1514);
	close(tap);

	/* tx-gso-list off: trains still built, segmented by nty_gso_segment(). */
	sh("ip netns exec nty-a ethtool -K va tx-gso-list off");
	g0 = g1;
	ASSERT_EQ(0, transfer(c, s, total));
	gso_counts(&g1);
	sh("ip netns exec nty-a ethtool -K va tx-gso-list on");
	EXPECT_GT(g1.out_trains - g0.out_trains, 0);
	EXPECT_EQ(g1.out_trains - g0.out_trains,
		  g1.out_segmented - g0.out_segmented);
	EXPECT_EQ(0, g1.in_trains - g0.in_trains);
	EXPECT_EQ(0, g1.in_merged - g0.in_merged);
	EXPECT_EQ(g1.out_frames - g0.out_frames, g1.in_frames - g0.in_frames);

	/* gso off: one frame at a time. */
	sh("ip netns exec nty-a ethtool -K va gso off");
	g0 = g1;
	ASSERT_EQ(0, transfer(c, s, total));
	gso_counts(&g1);
	sh("ip netns exec nty-a ethtool -K va gso on");
	EXPECT_EQ(0, g1.out_trains - g0.out_trains);
	EXPECT_EQ(0, g1.in_trains - g0.in_trains);
	EXPECT_EQ(0, g1.in_merged - g0.in_merged);
	EXPECT_EQ(g1.out_frames - g0.out_frames, g1.in_frames - g0.in_frames);
	close(c);
	close(s);
}

/*
 * With the backlog sysctl at "rps" and no rps_cpus, both ends take every
 * segment in the softirq that received it: 4 MiB arrive whole and in
 * order, every skb of either namespace (a merged one carrying several
 * segments, gro.c) counted in softnet's direct column and none by a
 * backlog poll, and nothing resent.
 */
TEST_F_TIMEOUT(stream, backlog_rps_direct_transfer, 120)
{
	long long in0, in, retr0, skbs0, skbs;
	long proc0, dir0, proc, dir;
	int c, s;

	enter_init_ns();
	write_file(SYSCTL "backlog", "rps");
	in0 = snmp_in(NS_A, "InFrames") + snmp_in(NS_B, "InFrames");
	skbs0 = in0 - snmp_in(NS_A, "InGroSegs") - snmp_in(NS_B, "InGroSegs") +
		snmp_in(NS_A, "InGroMerged") + snmp_in(NS_B, "InGroMerged");
	retr0 = snmp_in(NS_A, "RetransSegs");
	enter_init_ns();
	proc0 = softnet_cpu(-1, "processed");
	dir0 = softnet_cpu(-1, "direct");
	ASSERT_EQ(0, pair(7140, &c, &s));
	EXPECT_EQ(0, transfer(c, s, 4 << 20));
	close(c);
	close(s);
	sleep_ms(200);
	in = snmp_in(NS_A, "InFrames") + snmp_in(NS_B, "InFrames");
	skbs = in - snmp_in(NS_A, "InGroSegs") - snmp_in(NS_B, "InGroSegs") +
	       snmp_in(NS_A, "InGroMerged") + snmp_in(NS_B, "InGroMerged") -
	       skbs0;
	in -= in0;
	enter_init_ns();
	proc = softnet_cpu(-1, "processed") - proc0;
	dir = softnet_cpu(-1, "direct") - dir0;
	write_file(SYSCTL "backlog", "always");
	EXPECT_GT(in, (4 << 20) / NTY_MSS_VETH);
	EXPECT_EQ(skbs, dir);
	EXPECT_EQ(0, proc);
	EXPECT_EQ(0, snmp_in(NS_A, "RetransSegs") - retr0);
}

struct reader {
	int fd, n, size;
	unsigned char buf[64];
	int ok;
};

/* Blocking reads of @n messages of @size bytes, each "message i". */
static void *read_msgs(void *p)
{
	struct reader *r = p;
	int i;

	pin_cpu(1);
	r->ok = 0;
	for (i = 0; i < r->n; i++) {
		if (read_full(r->fd, r->buf, r->size) != r->size ||
		    r->buf[0] != (unsigned char)i)
			return NULL;
	}
	r->ok = 1;
	return NULL;
}

/* @n messages with gaps, so that the reader sleeps before each. */
static int send_msgs(int fd, int n, int size, int gap_ms)
{
	unsigned char buf[64] = { 0 };
	int i;

	for (i = 0; i < n; i++) {
		buf[0] = i;
		if (send(fd, buf, size, 0) != size)
			return -1;
		sleep_ms(gap_ms);
	}
	return 0;
}

/*
 * One round of 20 messages to a reader blocked in recv(), with prequeue
 * set to @on in nty-b; *queued and *processed get the counters' deltas.
 */
static int prequeue_round(int c, struct reader *r, const char *on,
			  long long *queued, long long *processed)
{
	long long q0, p0;
	pthread_t th;

	sysctl_in(NS_B, "prequeue", on);
	q0 = nty_snmp("PrequeueQueued");
	p0 = nty_snmp("PrequeueProcessed");
	if (pthread_create(&th, NULL, read_msgs, r))
		return -1;
	sleep_ms(100);
	if (send_msgs(c, r->n, r->size, 30))
		return -1;
	pthread_join(th, NULL);
	enter_ns(NS_B);
	*queued = nty_snmp("PrequeueQueued") - q0;
	*processed = nty_snmp("PrequeueProcessed") - p0;
	return r->ok ? 0 : -1;
}

TEST_F(stream, prequeue_used_only_when_enabled)
{
	struct reader r = { .n = 20, .size = 32 };
	long long q, p;
	int c;

	ASSERT_EQ(0, pair(7111, &c, &r.fd));
	ASSERT_EQ(0, prequeue_round(c, &r, "1", &q, &p));
	/* A blocked reader gets most segments through the prequeue ... */
	EXPECT_GE(q, r.n / 2);
	/* ... and processes each of them itself. */
	EXPECT_EQ(q, p);

	ASSERT_EQ(0, prequeue_round(c, &r, "0", &q, &p));
	EXPECT_EQ(0, q);
	EXPECT_EQ(0, p);
	close(c);
	close(r.fd);
}

struct hold_arg {
	int fd, ms, ret;
};

static void *hold_lock(void *p)
{
	struct hold_arg *h = p;

	h->ret = setsockopt(h->fd, SOL_NTY, NTY_HOLD_LOCK, &h->ms,
			    sizeof(h->ms));
	return NULL;
}

TEST_F(stream, backlog_while_user_holds_lock)
{
	struct hold_arg h = { .ms = 1000 };
	unsigned char buf[64];
	long long q0;
	pthread_t th;
	int c, i;

	ASSERT_EQ(0, pair(7112, &c, &h.fd));
	q0 = snmp_in(NS_B, "SockBacklogQueued");
	ASSERT_EQ(0, pthread_create(&th, NULL, hold_lock, &h));
	sleep_ms(200);
	ASSERT_EQ(0, send_msgs(c, 5, 16, 0));
	sleep_ms(300);
	/*
	 * Held: the segments wait in the socket backlog, unacknowledged (the
	 * sender's RTO may add a retransmission of the first).
	 */
	enter_ns(NS_B);
	EXPECT_GE(nty_snmp("SockBacklogQueued") - q0, 5);
	EXPECT_GE(socket_column_in(7112, "ESTAB", "backlog"), 5);
	EXPECT_EQ(80, client_tx_queue(7112));
	pthread_join(th, NULL);
	EXPECT_EQ(0, h.ret);
	/* release_sock() processed them: in order, and acknowledged. */
	enter_ns(NS_B);
	EXPECT_EQ(0, socket_column_in(7112, "ESTAB", "backlog"));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(16, read_full(h.fd, buf, 16));
		EXPECT_EQ(i, buf[0]);
	}
	sleep_ms(100);
	EXPECT_EQ(0, client_tx_queue(7112));
	close(c);
	close(h.fd);
}

/* epoll's five moments (claim C10), one test each. */
static int wait_event(int fd, uint32_t events, int ms)
{
	struct epoll_event ev = { .events = events | EPOLLET }, out = { 0 };
	int ep = epoll_create1(0), n;

	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	n = epoll_wait(ep, &out, 1, ms);
	close(ep);
	return n == 1 ? (int)out.events : 0;
}

struct ep_wait {
	int fd;
	uint32_t events;
	int got;
};

static void *ep_waiter(void *p)
{
	struct ep_wait *w = p;

	w->got = wait_event(w->fd, w->events, 5000);
	return NULL;
}

/* Start an edge-triggered wait, do @what, see whether it fired. */
#define EXPECT_MOMENT(_fd, _events, what) ({			\
	struct ep_wait __w = { .fd = (_fd), .events = (_events) };	\
	pthread_t __th;							\
	pthread_create(&__th, NULL, ep_waiter, &__w);			\
	sleep_ms(200);							\
	what;								\
	pthread_join(__th, NULL);					\
	__w.got;							\
})

TEST_F(stream, epoll_error_on_reset)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	long long resets0;
	char b;
	int c, s, got;

	ASSERT_EQ(0, pair(7117, &c, &s));
	resets0 = snmp_in(NS_B, "EstabResets");
	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	got = EXPECT_MOMENT(s, EPOLLIN, close(c));
	EXPECT_TRUE(got & EPOLLERR);
	EXPECT_TRUE(got & EPOLLHUP);
	EXPECT_EQ(-1, recv(s, &b, 1, 0));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_EQ(1, snmp_in(NS_B, "EstabResets") - resets0);
	/* The error is reported once; then the stream reads as ended. */
	EXPECT_EQ(0, recv(s, &b, 1, 0));
	close(s);
}

TEST_F(stream, half_close_keeps_the_other_direction)
{
	char buf[16];
	int c, s;

	ASSERT_EQ(0, pair(7118, &c, &s));
	ASSERT_EQ(0, shutdown(c, SHUT_WR));
	EXPECT_EQ(0, read_full(s, buf, 1));
	EXPECT_EQ(-1, send(c, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);
	/* The server still talks; the client still hears. */
	ASSERT_EQ(6, send(s, "answer", 6, 0));
	ASSERT_EQ(6, read_full(c, buf, 6));
	EXPECT_EQ(0, memcmp(buf, "answer", 6));
	close(s);
	EXPECT_EQ(0, read_full(c, buf, 1));
	close(c);
}

TEST_F(stream, unread_data_at_close_resets)
{
	long long rst0;
	char b;
	int c, s;

	ASSERT_EQ(0, pair(7119, &c, &s));
	rst0 = snmp_in(NS_B, "OutRsts");
	ASSERT_EQ(4, send(c, "lost", 4, 0));
	sleep_ms(200);
	close(s);	/* four bytes unread */
	EXPECT_EQ(1, snmp_in(NS_B, "OutRsts") - rst0);
	set_timeo(c, SO_RCVTIMEO, 2000);
	EXPECT_EQ(-1, recv(c, &b, 1, 0));
	EXPECT_EQ(ECONNRESET, errno);
	close(c);
}

TEST_F(stream, bad_arguments_errno)
{
	struct sockaddr_nty a = addr_b(7120);
	char b;
	int fd, d, c, s;

	enter_ns(NS_A);
	fd = socket(topo.fam, SOCK_STREAM, 0);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-1, send(fd, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, accept(fd, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
	a.snty_family = AF_INET;
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	a = addr_b(7120);
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&a, 4));
	EXPECT_EQ(EINVAL, errno);
	a.snty_ifindex = 999;
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(ENXIO, errno);
	close(fd);

	d = socket(topo.fam, SOCK_DGRAM, 0);
	EXPECT_EQ(-1, listen(d, 1));
	EXPECT_EQ(EOPNOTSUPP, errno);
	close(d);

	ASSERT_EQ(0, pair(7120, &c, &s));
	a = addr_b(7120);
	EXPECT_EQ(-1, connect(c, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EISCONN, errno);
	EXPECT_EQ(-1, listen(c, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, recv(c, &b, 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, recv(c, &b, 1, MSG_OOB));
	EXPECT_EQ(EOPNOTSUPP, errno);
	close(c);
	close(s);
}

/*
 * A connection from a raw peer (nty_raw.h) in nty-a to the listener @lfd
 * in nty-b: the handshake by hand.  Return: the accepted socket, or -1.
 */
static int raw_connect(struct raw_peer *p, int lfd)
{
	int s;

	enter_ns(NS_A);
	if (raw_open(p, topo.va_ifindex, topo.vb_mac) || raw_handshake(p, 1000))
		return -1;
	s = accept_within(lfd, 3000);
	enter_ns(NS_B);
	return s;
}

/*
 * The five receive cases (claim C11), driven by hand: a raw AF_PACKET
 * peer in nty-a completes a handshake with a listener in nty-b, then
 * sends crafted segments and reads the ACKs.
 */
TEST_F(stream, five_receive_cases_counted)
{
	static const char * const counters[] = { "DupSegs", "PartialDupSegs",
				   "OutOfWindowSegs", "OfoQueued" };
	long long before[4], after[4], disc0, resets0;
	struct raw_peer p = { .sport = 30000, .dport = 7121 };
	struct ntyhdr nh;
	char buf[64];
	uint32_t una;
	int lfd, s, i;

	lfd = listener(7121, 4);
	ASSERT_GE(lfd, 0);
	s = raw_connect(&p, lfd);
	ASSERT_GE(s, 0);
	for (i = 0; i < 4; i++)
		before[i] = nty_snmp(counters[i]);
	una = p.snd_nxt;

	/* 1. In order: "abcd" is queued and acknowledged. */
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, una, "abcd", 4));
	ASSERT_EQ(0, raw_recv(&p, &nh, 3000));
	EXPECT_EQ(una + 4, ntohl(nh.ack_seq));
	/* 2. Duplicate: "abcd" again is dropped and re-acknowledged. */
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, una, "abcd", 4));
	ASSERT_EQ(0, raw_recv(&p, &nh, 3000));
	EXPECT_EQ(una + 4, ntohl(nh.ack_seq));
	/* 3. Partial overlap: "cdef" keeps only "ef". */
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, una + 2, "cdef", 4));
	ASSERT_EQ(0, raw_recv(&p, &nh, 3000));
	EXPECT_EQ(una + 6, ntohl(nh.ack_seq));
	/* 4. Out of order: "kl" past a gap is held; the ACK still says +6. */
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, una + 10, "kl", 2));
	ASSERT_EQ(0, raw_recv(&p, &nh, 3000));
	EXPECT_EQ(una + 6, ntohl(nh.ack_seq));
	/* 5. Out of window: far past the right edge, dropped and ACKed. */
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, una + (1u << 30), "zz", 2));
	ASSERT_EQ(0, raw_recv(&p, &nh, 3000));
	EXPECT_EQ(una + 6, ntohl(nh.ack_seq));
	/* The gap "ghij" fills: the held "kl" follows it. */
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, una + 6, "ghij", 4));
	ASSERT_EQ(0, raw_recv(&p, &nh, 3000));
	EXPECT_EQ(una + 12, ntohl(nh.ack_seq));

	enter_ns(NS_B);
	for (i = 0; i < 4; i++)
		after[i] = nty_snmp(counters[i]) - before[i];
	EXPECT_EQ(1, after[0]);
	EXPECT_EQ(1, after[1]);
	EXPECT_EQ(1, after[2]);
	EXPECT_EQ(1, after[3]);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(12, read_full(s, buf, 12));
	EXPECT_STREQ("abcdefghijkl", buf);

	/*
	 * Malformed for a connection: data without ACK, and an ACK of bytes
	 * never sent (answered with an ACK): both dropped as bad_segment,
	 * counted in InDiscards, nothing delivered.  A RST outside the
	 * window is ignored; inside it, it resets.
	 */
	enter_ns(NS_B);
	disc0 = nty_snmp("InDiscards");
	resets0 = nty_snmp("EstabResets");
	ASSERT_EQ(0, raw_send(&p, 0, una + 12, "xx", 2));
	p.rcv_nxt += 1000;
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, una + 12, "yy", 2));
	ASSERT_EQ(0, raw_recv(&p, &nh, 3000));
	EXPECT_EQ(una + 12, ntohl(nh.ack_seq));
	p.rcv_nxt -= 1000;
	ASSERT_EQ(0, raw_send(&p, NTY_F_RST, una + 12 + (1u << 30), NULL, 0));
	sleep_ms(300);
	enter_ns(NS_B);
	EXPECT_EQ(3, nty_snmp("InDiscards") - disc0);
	EXPECT_EQ(-1, recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, raw_send(&p, NTY_F_RST, una + 12, NULL, 0));
	sleep_ms(300);
	enter_ns(NS_B);
	EXPECT_EQ(1, nty_snmp("EstabResets") - resets0);
	EXPECT_EQ(-1, recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(ECONNRESET, errno);
	close(s);
	close(lfd);
	raw_close(&p);
}

/*
 * Delayed ACKs, as __tcp_ack_snd_check(): a lone small segment is
 * acknowledged by the delayed-ACK timer (DelayedACKs), a second full
 * segment at once by one ACK for both; with sysctl delayed_ack=0 every
 * segment at once.  The raw peer counts the ACKs it gets.
 */
TEST_F(stream, delayed_ack_every_second_full_segment)
{
	struct raw_peer p = { .sport = 30001, .dport = 7122 };
	static char full[NTY_MSS_VETH], buf[2 * NTY_MSS_VETH + 8];
	long long d0;
	struct ntyhdr nh;
	uint32_t una;
	int lfd, s;

	memset(full, 'x', sizeof(full));
	lfd = listener(7122, 4);
	ASSERT_GE(lfd, 0);
	s = raw_connect(&p, lfd);
	ASSERT_GE(s, 0);
	una = p.snd_nxt;

	/* A lone 4-byte segment: its ACK waits for the timer. */
	d0 = nty_snmp("DelayedACKs");
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, una, "abcd", 4));
	ASSERT_EQ(0, raw_recv(&p, &nh, 3000));
	EXPECT_EQ(una + 4, ntohl(nh.ack_seq));
	enter_ns(NS_B);
	EXPECT_EQ(1, nty_snmp("DelayedACKs") - d0);

	/* Two full segments: one ACK covers both, sent on the second. */
	d0 = nty_snmp("DelayedACKs");
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, una + 4, full, sizeof(full)));
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, una + 4 + sizeof(full), full,
			      sizeof(full)));
	ASSERT_EQ(0, raw_recv(&p, &nh, 3000));
	EXPECT_EQ(una + 4 + 2 * sizeof(full), ntohl(nh.ack_seq));
	EXPECT_EQ(-1, raw_recv(&p, &nh, 200));
	enter_ns(NS_B);
	EXPECT_EQ(0, nty_snmp("DelayedACKs") - d0);

	/* Only 0 and 1 are taken, as for prequeue; the value stays. */
	EXPECT_EQ(EINVAL, sysctl_write_errno(NS_B, "delayed_ack", "2"));
	EXPECT_EQ(EINVAL, sysctl_write_errno(NS_B, "delayed_ack", "-1"));
	EXPECT_EQ(EINVAL, sysctl_write_errno(NS_B, "prequeue", "2"));
	EXPECT_EQ(1, read_long(SYSCTL "delayed_ack"));
	EXPECT_EQ(0, read_long(SYSCTL "prequeue"));

	/* delayed_ack=0: the lone segment is acknowledged at once. */
	sysctl_in(NS_B, "delayed_ack", "0");
	d0 = nty_snmp("DelayedACKs");
	ASSERT_EQ(0, raw_send(&p, NTY_F_ACK, una + 4 + 2 * sizeof(full),
			      "efgh", 4));
	ASSERT_EQ(0, raw_recv(&p, &nh, 3000));
	EXPECT_EQ(una + 8 + 2 * sizeof(full), ntohl(nh.ack_seq));
	sysctl_in(NS_B, "delayed_ack", "1");
	enter_ns(NS_B);
	EXPECT_EQ(0, nty_snmp("DelayedACKs") - d0);

	EXPECT_EQ((ssize_t)sizeof(buf), read_full(s, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "abcd", 4));
	EXPECT_EQ(0, memcmp(buf + 4, full, sizeof(full)));
	EXPECT_EQ(0, memcmp(buf + sizeof(buf) - 4, "efgh", 4));
	/* The raw peer goes away with a RST, leaving no orphan behind. */
	ASSERT_EQ(0, raw_send(&p, NTY_F_RST, una + 8 + 2 * sizeof(full),
			      NULL, 0));
	sleep_ms(300);
	enter_ns(NS_B);
	EXPECT_EQ(-1, recv(s, buf, 1, MSG_DONTWAIT));
	EXPECT_EQ(ECONNRESET, errno);
	close(s);
	close(lfd);
	raw_close(&p);
}

/*
 * Every frame is accounted for, datagram and stream drop counters
 * included, once traffic has stopped (TIME_WAIT ends within a second).
 */
/*
 * Hardening defect 1: a send() from memory that faults (NULL, a page
 * that may not be read, a kernel address, a bad iovec among good ones)
 * takes the bytes before the fault and returns them as a short write, or
 * -EFAULT when there were none, as tcp_sendmsg_locked(); before the fix
 * the iterator was rewound past its start (BUG() in iov_iter_revert()).
 * A recv() into memory it cannot write fails with EFAULT and loses
 * nothing: the next good recv() reads those very bytes.
 */
TEST_F(stream, bad_user_memory_short_write_or_efault)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char want[400], got[400], *m, *ro;
	struct iovec iov[3];
	struct msghdr mh = { .msg_iov = iov };
	int c, s;

	m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	/* PROT_NONE, not unmapped: the next mmap() must not land there. */
	ASSERT_EQ(0, mprotect(m + pg, pg, PROT_NONE));
	ro = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	pattern(m + pg - 100, 100, 0);
	pattern(want, sizeof(want), 0);
	ASSERT_EQ(0, pair(7121, &c, &s));

	EXPECT_EQ(-1, send(c, NULL, 100, MSG_NOSIGNAL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, send(c, (void *)0xffff888000000000UL, 100, MSG_NOSIGNAL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, send(c, m + pg, 1, MSG_NOSIGNAL));
	EXPECT_EQ(EFAULT, errno);
	/* 300 bytes of which the last 200 lie on the PROT_NONE page. */
	EXPECT_EQ(100, send(c, m + pg - 100, 300, MSG_NOSIGNAL));
	/* A good iovec, a NULL one, a good one: the first alone is sent. */
	iov[0].iov_base = want + 100;
	iov[0].iov_len = 50;
	iov[1].iov_base = NULL;
	iov[1].iov_len = 100;
	iov[2].iov_base = want + 150;
	iov[2].iov_len = 50;
	mh.msg_iovlen = 3;
	EXPECT_EQ(50, sendmsg(c, &mh, MSG_NOSIGNAL));
	/* Bad first, good after: nothing is taken. */
	iov[0].iov_base = m + pg;
	iov[1].iov_base = want + 150;
	iov[1].iov_len = 50;
	mh.msg_iovlen = 2;
	EXPECT_EQ(-1, sendmsg(c, &mh, MSG_NOSIGNAL));
	EXPECT_EQ(EFAULT, errno);
	/* Read-only memory is fine to send from. */
	EXPECT_EQ(10, send(c, ro, 10, MSG_NOSIGNAL));
	memset(want + 150, 0, 10);

	/* Into read-only, PROT_NONE or NULL memory: EFAULT, nothing lost. */
	sleep_ms(200);
	EXPECT_EQ(-1, recv(s, ro, 160, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, recv(s, NULL, 160, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, recv(s, m + pg, 160, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(160, read_full(s, got, 160));
	EXPECT_EQ(0, memcmp(got, want, 160));
	EXPECT_EQ(-1, recv(s, got, 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	/* The connection still carries data both ways. */
	EXPECT_EQ(4, send(s, "pong", 4, MSG_NOSIGNAL));
	EXPECT_EQ(4, read_full(c, got, 4));
	close(c);
	close(s);
	munmap(m, 2 * pg);
	munmap(ro, pg);
}

/*
 * Hardening defect 4: an accepted connection inherits its listener's
 * socket filter, mark and priority, as sk_clone_lock() copies them;
 * before, a filter on a listener saw only the SYNs.  The filter drops
 * every frame longer than 1,000 bytes of header and payload: 500 bytes
 * arrive, full segments of a 3,000-byte write are dropped
 * (socket_filter).
 */
TEST_F(stream, accepted_connection_inherits_filter_mark_priority)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
		BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 1000, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(code), .filter = code };
	static unsigned char buf[3000], got[3000];
	int lfd, c, s, mark = 42, prio = 5, v;
	socklen_t vl = sizeof(v);
	long f0;

	lfd = listener(7122, 4);
	ASSERT_GE(lfd, 0);
	ASSERT_EQ(0, setsockopt(lfd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)));
	ASSERT_EQ(0, setsockopt(lfd, SOL_SOCKET, SO_PRIORITY, &prio, sizeof(prio)));
	ASSERT_EQ(0, setsockopt(lfd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
				sizeof(prog)));
	c = client(7122, 0);
	ASSERT_GE(c, 0);
	enter_ns(NS_B);
	s = accept_within(lfd, 5000);
	ASSERT_GE(s, 0);
	EXPECT_EQ(0, getsockopt(s, SOL_SOCKET, SO_MARK, &v, &vl));
	EXPECT_EQ(42, v);
	EXPECT_EQ(0, getsockopt(s, SOL_SOCKET, SO_PRIORITY, &v, &vl));
	EXPECT_EQ(5, v);

	f0 = drops_of("socket_filter");
	pattern(buf, sizeof(buf), 0);
	EXPECT_EQ(500, send(c, buf, 500, MSG_NOSIGNAL));
	EXPECT_EQ(500, read_full(s, got, 500));
	EXPECT_EQ(0, memcmp(got, buf, 500));
	EXPECT_EQ(3000, send(c, buf, sizeof(buf), MSG_NOSIGNAL));
	sleep_ms(500);
	EXPECT_EQ(-1, recv(s, got, sizeof(got), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_GE(drops_of("socket_filter") - f0, 1);
	/* Without the filter, the retransmissions arrive. */
	v = 1;
	EXPECT_EQ(0, setsockopt(s, SOL_SOCKET, SO_DETACH_FILTER, &v, sizeof(v)));
	EXPECT_EQ(3000, read_full(s, got, 3000));
	EXPECT_EQ(0, memcmp(got, buf, 3000));
	close(c);
	close(s);
	close(lfd);
}

TEST_F(stream, zz_conservation)
{
	static const char * const drops[] = {
		"InBacklogDrops", "InHdrErrors", "InCsumErrors", "InNoPort",
		"InDiscards", "RcvbufErrors", "SockBacklogDrops",
		"SynQueueDrops", "ListenOverflows", "DupSegs",
		"OutOfWindowSegs",
	};
	static const char * const ns[] = { NS_A, NS_B };
	long long gap;
	unsigned int i, j;

	sleep_ms(2000);
	for (i = 0; i < 2; i++) {
		enter_ns(ns[i]);
		EXPECT_EQ(0, count_rows(-1, "ESTAB") +
			  count_rows(-1, "TIME_WAIT"));
		gap = nty_snmp("InFrames") + nty_snmp("InBcastCopies") -
		      nty_snmp("InDelivers");
		for (j = 0; j < ARRAY_SIZE(drops); j++)
			gap -= nty_snmp(drops[j]);
		EXPECT_EQ(0, gap) TH_LOG("namespace %s", ns[i]);
		EXPECT_GT(nty_snmp("InDelivers"), 0);
	}
}

TEST_HARNESS_MAIN

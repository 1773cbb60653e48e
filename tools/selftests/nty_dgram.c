// SPDX-License-Identifier: GPL-2.0
/*
 * Datagram sockets end to end, across two namespaces joined by veth
 * (tools/selftests/topo.sh sets them up):
 *
 *   +---------- nty-a ----------+        +---------- nty-b ----------+
 *   |  sender sockets,  AF_PACKET|  veth  |  receiver sockets         |
 *   |  injector              va  +--------+  vb                       |
 *   +---------------------------+        +---------------------------+
 *
 * Every test asserts the behaviour and the counters that prove it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "../../tools/lib/nty_user.h"
#include "kselftest_harness.h"
#include "nty_test.h"

#define NS_A "nty-a"
#define NS_B "nty-b"
#define MTU_PAYLOAD (1500 - NTY_HLEN)

/*
 * Wait (up to 5 s) until @n frames have been split between two counters
 * of nty-b, e.g. delivered or dropped; *da and *db get the two deltas.
 */
static void wait_split(const char *a, long long a0, const char *b,
		       long long b0, long long n, long long *da, long long *db)
{
	int i;

	for (i = 0; i < 500; i++) {
		enter_ns(NS_B);
		*da = nty_snmp(a) - a0;
		*db = nty_snmp(b) - b0;
		if (*da + *db >= n)
			break;
		sleep_ms(10);
	}
}

static const char * const drop_counters[] = {
	"InBacklogDrops", "InHdrErrors", "InCsumErrors", "InNoPort",
	"InDiscards", "RcvbufErrors", "SockBacklogDrops",
};

/* InFrames + InBcastCopies - (InDelivers + every drop): 0 when conserved. */
static long long conservation_gap(const char *ns)
{
	long long gap;
	unsigned int i;

	enter_ns(ns);
	gap = nty_snmp("InFrames") + nty_snmp("InBcastCopies") -
	      nty_snmp("InDelivers");
	for (i = 0; i < ARRAY_SIZE(drop_counters); i++)
		gap -= nty_snmp(drop_counters[i]);
	return gap;
}

static struct nty_topo topo;

FIXTURE(dgram) {
	struct nty_topo *t;
};

FIXTURE_SETUP(dgram)
{
	/*
	 * One flow, one CPU: with rps_cpus 0 each frame is processed on the
	 * CPU it arrived on, so a sender that migrates may see its frames
	 * reordered, as with the kernel's own backlog.  Tests that check order
	 * send from CPU 0; the RPS test moves itself.
	 */
	ASSERT_EQ(0, pin_cpu(0));
	self->t = &topo;
	ASSERT_EQ(0, nty_topo_learn(&topo));
}

FIXTURE_TEARDOWN(dgram)
{
	/* A test that failed half-way must not leave the path changed. */
	enter_init_ns();
	write_file("/proc/sys/net/nty/backlog", "always");
	write_file("/proc/sys/net/nty/rps_cpus", "0");
}

static int sock_in(const char *ns, int fam)
{
	enter_ns(ns);
	return socket(fam, SOCK_DGRAM, 0);
}

static int bind_port(int fd, int fam, int port, int ifindex)
{
	struct sockaddr_nty a = {
		.snty_family = fam,
		.snty_port = htons(port),
		.snty_ifindex = ifindex,
	};

	return bind(fd, (struct sockaddr *)&a, sizeof(a));
}

/* Receiver bound to @port in nty-b. */
static int rx_socket(struct __test_metadata *_metadata,
		     struct nty_topo *t, int port)
{
	struct timeval tv = { .tv_sec = 5 };
	int fd = sock_in(NS_B, t->fam);

	if (fd < 0 || bind_port(fd, t->fam, port, 0) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		TH_LOG("rx socket on %d: %s", port, strerror(errno));
		return -1;
	}
	return fd;
}

static struct sockaddr_nty to_b(struct nty_topo *t, int port)
{
	struct sockaddr_nty a = {
		.snty_family = t->fam,
		.snty_port = htons(port),
		.snty_ifindex = t->va_ifindex,
	};

	memcpy(a.snty_addr, t->vb_mac, 6);
	return a;
}

static ssize_t send_b(int fd, struct nty_topo *t, int port,
		      const void *buf, size_t len)
{
	struct sockaddr_nty a = to_b(t, port);

	return sendto(fd, buf, len, 0, (struct sockaddr *)&a, sizeof(a));
}

/* @count numbered datagrams of @size bytes from nty-a to nty-b:@port. */
static int send_seq(struct nty_topo *t, int port, int count, int size)
{
	unsigned char buf[2048] = { 0 };
	int fd = sock_in(NS_A, t->fam), i;

	if (fd < 0)
		return -1;
	for (i = 0; i < count; i++) {
		uint32_t seq = htonl(i);

		memcpy(buf, &seq, 4);
		if (send_b(fd, t, port, buf, size) != size) {
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}

/* A child process that sends one datagram to nty-b:@port after @ms. */
static pid_t send_later(struct nty_topo *t, int port, int ms)
{
	pid_t pid = fork();

	if (pid == 0) {
		sleep_ms(ms);
		_exit(send_seq(t, port, 1, 16) ? 1 : 0);
	}
	return pid;
}

TEST_F(dgram, roundtrip_sizes)
{
	size_t sizes[] = { 0, 1, 1000, MTU_PAYLOAD };
	unsigned char out[MTU_PAYLOAD], in[MTU_PAYLOAD + 64];
	struct sockaddr_nty from, me;
	socklen_t alen = sizeof(me);
	long long del0, out0;
	int rx, tx;
	unsigned int i, j;

	rx = rx_socket(_metadata, self->t, 7000);
	ASSERT_GE(rx, 0);
	del0 = nty_snmp("InDelivers");
	tx = sock_in(NS_A, self->t->fam);
	ASSERT_GE(tx, 0);
	out0 = nty_snmp("OutFrames");

	for (i = 0; i < 4; i++) {
		for (j = 0; j < sizes[i]; j++)
			out[j] = (j * 13 + i) & 0xff;
		ASSERT_EQ((ssize_t)sizes[i], send_b(tx, self->t, 7000, out, sizes[i]));
		alen = sizeof(from);
		ASSERT_EQ((ssize_t)sizes[i],
			  recvfrom(rx, in, sizeof(in), 0,
				   (struct sockaddr *)&from, &alen))
			TH_LOG("size %zu: %s", sizes[i], strerror(errno));
		EXPECT_EQ(0, memcmp(in, out, sizes[i]));
		EXPECT_EQ(sizeof(from), alen);
		EXPECT_EQ(self->t->fam, from.snty_family);
		EXPECT_EQ(self->t->vb_ifindex, from.snty_ifindex);
		EXPECT_EQ(0, memcmp(from.snty_addr, self->t->va_mac, 6));
		alen = sizeof(me);
		ASSERT_EQ(0, getsockname(tx, (struct sockaddr *)&me, &alen));
		EXPECT_EQ(me.snty_port, from.snty_port);
		EXPECT_NE(0, me.snty_port);
	}
	EXPECT_EQ(4, nty_snmp("OutFrames") - out0);
	EXPECT_EQ(4, snmp_in(NS_B, "InDelivers") - del0);
	close(tx);
	close(rx);
}

TEST_F(dgram, emsgsize_above_mtu)
{
	static unsigned char buf[MTU_PAYLOAD + 1];
	int tx = sock_in(NS_A, self->t->fam);
	long long out0 = nty_snmp("OutFrames");

	ASSERT_GE(tx, 0);
	EXPECT_EQ(-1, send_b(tx, self->t, 7001, buf, MTU_PAYLOAD + 1));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(0, nty_snmp("OutFrames") - out0);
	EXPECT_EQ(MTU_PAYLOAD, send_b(tx, self->t, 7001, buf, MTU_PAYLOAD));
	close(tx);
}

TEST_F(dgram, ten_thousand_in_order)
{
	int rx, n = 10000, i, size = 16 << 20;
	long long del0, drops0;
	unsigned char buf[64];
	uint32_t seq;
	long core0, nty0, rmem0;
	char val[32];

	enter_init_ns();
	rmem0 = raise_core_rmem_max(33554432);
	core0 = read_long("/proc/sys/net/core/netdev_max_backlog");
	nty0 = read_long("/proc/sys/net/nty/max_backlog");

	/*
	 * Room for all of them in both per-CPU backlogs (veth's netif_rx(),
	 * then NTY's): a kernel without the debug options sends 10,000
	 * faster than one softirq pass drains 1,000.
	 */
	write_file("/proc/sys/net/core/netdev_max_backlog", "10000");
	write_file("/proc/sys/net/nty/max_backlog", "10000");
	enter_ns(NS_B);
	write_file("/proc/sys/net/nty/rmem_max", "33554432");
	rx = rx_socket(_metadata, self->t, 7002);
	ASSERT_GE(rx, 0);
	ASSERT_EQ(0, setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)));
	del0 = nty_snmp("InDelivers");
	drops0 = nty_snmp("RcvbufErrors");

	ASSERT_EQ(0, send_seq(self->t, 7002, n, 32));
	for (i = 0; i < n; i++) {
		ASSERT_EQ(32, recv(rx, buf, sizeof(buf), 0))
			TH_LOG("datagram %d: %s", i, strerror(errno));
		memcpy(&seq, buf, 4);
		ASSERT_EQ((uint32_t)i, ntohl(seq));
	}
	EXPECT_EQ(-1, recv(rx, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(n, snmp_in(NS_B, "InDelivers") - del0);
	EXPECT_EQ(0, nty_snmp("RcvbufErrors") - drops0);
	write_file("/proc/sys/net/nty/rmem_max", "212992");
	close(rx);
	enter_init_ns();
	snprintf(val, sizeof(val), "%ld", core0);
	write_file("/proc/sys/net/core/netdev_max_backlog", val);
	snprintf(val, sizeof(val), "%ld", nty0);
	write_file("/proc/sys/net/nty/max_backlog", val);
	restore_core_rmem_max(rmem0);
}

/* Raw frames from AF_PACKET in nty-a: every malformed class. */
static int inject(struct nty_topo *t, const void *nty, size_t len)
{
	enter_ns(NS_A);
	return inject_raw(t->va_ifindex, t->va_mac, t->vb_mac, nty, len);
}

static size_t good_frame(unsigned char *buf, int dport, size_t payload)
{
	struct ntyhdr *nh = (struct ntyhdr *)buf;

	memset(buf, 0, NTY_HLEN);
	memset(buf + NTY_HLEN, 0x5a, payload);
	nh->version = NTY_VERSION;
	nh->type = NTY_TYPE_DGRAM;
	nh->source = htons(4000);
	nh->dest = htons(dport);
	nh->len = htons(NTY_HLEN + payload);
	nh->check = csum(buf, NTY_HLEN + payload);
	return NTY_HLEN + payload;
}

TEST_F(dgram, malformed_frames_dropped_and_counted)
{
	struct {
		const char *what, *counter;
		void (*mangle)(unsigned char *buf, size_t *len);
	} cases[] = {
		{ "short", "InHdrErrors", NULL },
		{ "version", "InHdrErrors", NULL },
		{ "type", "InHdrErrors", NULL },
		{ "len > frame", "InHdrErrors", NULL },
		{ "len < frame", "InHdrErrors", NULL },
		{ "checksum", "InCsumErrors", NULL },
	};
	unsigned char buf[256], in[256];
	struct ntyhdr *nh = (struct ntyhdr *)buf;
	long long hdr0, csum0, frames0, del0, before;
	unsigned int i;
	size_t len;
	int rx;

	rx = rx_socket(_metadata, self->t, 7003);
	ASSERT_GE(rx, 0);
	hdr0 = nty_snmp("InHdrErrors");
	csum0 = nty_snmp("InCsumErrors");
	frames0 = nty_snmp("InFrames");
	del0 = nty_snmp("InDelivers");

	for (i = 0; i < 6; i++) {
		len = good_frame(buf, 7003, 100);
		switch (i) {
		case 0:
			len = 10;
			break;
		case 1:
			nh->version = 7;
			break;
		case 2:
			nh->type = 9;
			break;
		case 3:
			nh->len = htons(len + 10);
			break;
		case 4:
			nh->len = htons(len - 40);
			break;
		case 5:
			buf[NTY_HLEN + 3] ^= 0xff;
			break;
		}
		if (i >= 1 && i <= 4) {
			nh->check = 0;
			nh->check = csum(buf, i == 4 ? len - 40 : len);
		}
		before = snmp_in(NS_B, cases[i].counter);
		ASSERT_EQ(0, inject(self->t, buf, len));
		EXPECT_EQ(before + 1, wait_snmp(NS_B, cases[i].counter, before + 1))
			TH_LOG("class '%s' not counted in %s", cases[i].what,
			       cases[i].counter);
		EXPECT_EQ(-1, recv(rx, in, sizeof(in), MSG_DONTWAIT))
			TH_LOG("class '%s' reached the socket", cases[i].what);
	}
	enter_ns(NS_B);
	EXPECT_EQ(5, nty_snmp("InHdrErrors") - hdr0);
	EXPECT_EQ(1, nty_snmp("InCsumErrors") - csum0);
	EXPECT_EQ(6, nty_snmp("InFrames") - frames0);
	EXPECT_EQ(0, nty_snmp("InDelivers") - del0);

	/* The same injector's good frame is delivered: the path was open. */
	len = good_frame(buf, 7003, 100);
	ASSERT_EQ(0, inject(self->t, buf, len));
	EXPECT_EQ(100, recv(rx, in, sizeof(in), 0));
	EXPECT_EQ(0, memcmp(in, buf + NTY_HLEN, 100));
	/* A tiny frame, padded by nothing here, still validates. */
	len = good_frame(buf, 7003, 2);
	ASSERT_EQ(0, inject(self->t, buf, len));
	EXPECT_EQ(2, recv(rx, in, sizeof(in), 0));
	close(rx);
}

TEST_F(dgram, rcvbuf_overflow_counted)
{
	long long del0, err0, del, err;
	unsigned char buf[256];
	char cbuf[CMSG_SPACE(sizeof(uint32_t))];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int rx, one = 1, small = 1, i, n = 50;
	uint32_t seq, ovfl = 0;

	rx = rx_socket(_metadata, self->t, 7004);
	ASSERT_GE(rx, 0);
	ASSERT_EQ(0, setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
	ASSERT_EQ(0, setsockopt(rx, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)));
	del0 = nty_snmp("InDelivers");
	err0 = nty_snmp("RcvbufErrors");

	ASSERT_EQ(0, send_seq(self->t, 7004, n, 200));
	wait_split("InDelivers", del0, "RcvbufErrors", err0, n, &del, &err);
	EXPECT_EQ(n, del + err);
	EXPECT_GT(err, 0);
	EXPECT_GT(del, 0);
	EXPECT_EQ(err, socket_column(7004, "drops"));

	/* What was queued comes back intact and in order. */
	for (i = 0; i < del; i++) {
		ASSERT_EQ(200, recv(rx, buf, sizeof(buf), 0));
		memcpy(&seq, buf, 4);
		EXPECT_EQ((uint32_t)i, ntohl(seq));
	}
	EXPECT_EQ(-1, recv(rx, buf, sizeof(buf), MSG_DONTWAIT));

	/* The next datagram carries the drop count (SO_RXQ_OVFL). */
	ASSERT_EQ(0, send_seq(self->t, 7004, 1, 200));
	ASSERT_EQ(200, recvmsg(rx, &msg, 0));
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL)
			memcpy(&ovfl, CMSG_DATA(cm), sizeof(ovfl));
	EXPECT_EQ(err, ovfl);
	close(rx);
}

TEST_F(dgram, hold_lock_bad_values)
{
	int fd = sock_in(NS_B, self->t->fam), v = -1;

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-1, setsockopt(fd, SOL_NTY, NTY_HOLD_LOCK, &v, sizeof(v)));
	EXPECT_EQ(EINVAL, errno);
	v = NTY_HOLD_LOCK_MAX + 1;
	EXPECT_EQ(-1, setsockopt(fd, SOL_NTY, NTY_HOLD_LOCK, &v, sizeof(v)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(fd, SOL_NTY, NTY_HOLD_LOCK, &v, 2));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(fd, SOL_NTY, 999, &v, sizeof(v)));
	EXPECT_EQ(ENOPROTOOPT, errno);
	close(fd);
}

TEST_F(dgram, blocking_recv_wakes)
{
	unsigned char buf[64];
	int rx = rx_socket(_metadata, self->t, 7007);
	double t0 = now_ms();
	pid_t pid;

	ASSERT_GE(rx, 0);
	pid = send_later(self->t, 7007, 300);
	EXPECT_EQ(16, recv(rx, buf, sizeof(buf), 0));
	EXPECT_GE(now_ms() - t0, 250);
	EXPECT_EQ(0, reap(pid));
	close(rx);
}

TEST_F(dgram, poll_and_select_wake)
{
	struct pollfd p;
	unsigned char buf[64];
	fd_set rfds;
	int rx = rx_socket(_metadata, self->t, 7008);
	pid_t pid;

	ASSERT_GE(rx, 0);
	p.fd = rx;
	p.events = POLLIN;
	EXPECT_EQ(0, poll(&p, 1, 0));
	pid = send_later(self->t, 7008, 200);
	EXPECT_EQ(1, poll(&p, 1, 5000));
	EXPECT_TRUE(p.revents & POLLIN);
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ(16, recv(rx, buf, sizeof(buf), 0));

	pid = send_later(self->t, 7008, 200);
	FD_ZERO(&rfds);
	FD_SET(rx, &rfds);
	EXPECT_EQ(1, select(rx + 1, &rfds, NULL, NULL,
			    &(struct timeval){ .tv_sec = 5 }));
	EXPECT_TRUE(FD_ISSET(rx, &rfds));
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ(16, recv(rx, buf, sizeof(buf), 0));
	/* Writable: nothing in flight. */
	p.events = POLLOUT;
	EXPECT_EQ(1, poll(&p, 1, 0));
	close(rx);
}

TEST_F(dgram, epoll_level_and_edge)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	unsigned char buf[64];
	int rx = rx_socket(_metadata, self->t, 7009);
	int lt = epoll_create1(0), et = epoll_create1(0);
	pid_t pid;

	ASSERT_GE(rx, 0);
	ASSERT_EQ(0, epoll_ctl(lt, EPOLL_CTL_ADD, rx, &ev));
	ev.events = EPOLLIN | EPOLLET;
	ASSERT_EQ(0, epoll_ctl(et, EPOLL_CTL_ADD, rx, &ev));

	pid = send_later(self->t, 7009, 200);
	EXPECT_EQ(1, epoll_wait(lt, &out, 1, 5000));
	EXPECT_TRUE(out.events & EPOLLIN);
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ(1, epoll_wait(et, &out, 1, 5000));
	/* Unread: level-triggered reports it again, edge-triggered not. */
	EXPECT_EQ(1, epoll_wait(lt, &out, 1, 0));
	EXPECT_EQ(0, epoll_wait(et, &out, 1, 100));
	/* A new arrival is a new edge. */
	pid = send_later(self->t, 7009, 100);
	EXPECT_EQ(1, epoll_wait(et, &out, 1, 5000));
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ(16, recv(rx, buf, sizeof(buf), 0));
	EXPECT_EQ(16, recv(rx, buf, sizeof(buf), 0));
	EXPECT_EQ(0, epoll_wait(lt, &out, 1, 0));
	close(lt);
	close(et);
	close(rx);
}

static void on_alarm(int sig)
{
}

TEST_F(dgram, signal_timeout_and_nonblock)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct timeval tv = { .tv_usec = 200000 };
	unsigned char buf[64];
	int rx = rx_socket(_metadata, self->t, 7010);
	double t0;

	ASSERT_GE(rx, 0);
	EXPECT_EQ(-1, recv(rx, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	alarm(1);
	EXPECT_EQ(-1, recv(rx, buf, sizeof(buf), 0));
	EXPECT_EQ(EINTR, errno);

	ASSERT_EQ(0, setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	t0 = now_ms();
	EXPECT_EQ(-1, recv(rx, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_GE(now_ms() - t0, 150);

	ASSERT_EQ(0, fcntl(rx, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, recv(rx, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
	close(rx);
}

TEST_F(dgram, peek_trunc_timestamp_recvmmsg)
{
	unsigned char buf[200], small[10];
	char cbuf[CMSG_SPACE(sizeof(struct timespec))];
	struct iovec iov = { small, sizeof(small) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct mmsghdr mm[8];
	struct iovec iovs[8];
	unsigned char bufs[8][64];
	struct timespec t0, t1, ts = { 0 };
	struct cmsghdr *cm;
	int rx = rx_socket(_metadata, self->t, 7011), one = 1, i;
	long long del0;

	ASSERT_GE(rx, 0);
	ASSERT_EQ(0, setsockopt(rx, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)));
	del0 = nty_snmp("InDelivers");
	clock_gettime(CLOCK_REALTIME, &t0);
	ASSERT_EQ(0, send_seq(self->t, 7011, 1, 100));

	/* MSG_PEEK leaves it queued. */
	EXPECT_EQ(100, recv(rx, buf, sizeof(buf), MSG_PEEK));
	/* Short buffer: truncated, MSG_TRUNC in msg_flags, the rest lost. */
	EXPECT_EQ(10, recvmsg(rx, &msg, 0));
	EXPECT_TRUE(msg.msg_flags & MSG_TRUNC);
	clock_gettime(CLOCK_REALTIME, &t1);
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_TIMESTAMPNS)
			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
	EXPECT_NE(0, ts.tv_sec);
	EXPECT_GE(ts.tv_sec * 1000000000LL + ts.tv_nsec,
		  t0.tv_sec * 1000000000LL + t0.tv_nsec);
	EXPECT_LE(ts.tv_sec * 1000000000LL + ts.tv_nsec,
		  t1.tv_sec * 1000000000LL + t1.tv_nsec);
	EXPECT_EQ(-1, recv(rx, buf, sizeof(buf), MSG_DONTWAIT));

	/* MSG_TRUNC as a flag: the datagram's real length. */
	ASSERT_EQ(0, send_seq(self->t, 7011, 1, 100));
	EXPECT_EQ(100, recv(rx, small, sizeof(small), MSG_TRUNC));

	ASSERT_EQ(0, send_seq(self->t, 7011, 5, 40));
	ASSERT_EQ(del0 + 7, wait_snmp(NS_B, "InDelivers", del0 + 7));
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < 8; i++) {
		iovs[i].iov_base = bufs[i];
		iovs[i].iov_len = sizeof(bufs[i]);
		mm[i].msg_hdr.msg_iov = &iovs[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	EXPECT_EQ(5, recvmmsg(rx, mm, 8, MSG_DONTWAIT, NULL));
	for (i = 0; i < 5; i++) {
		uint32_t seq;

		EXPECT_EQ(40U, mm[i].msg_len);
		memcpy(&seq, bufs[i], 4);
		EXPECT_EQ((uint32_t)i, ntohl(seq));
	}
	close(rx);
}

TEST_F(dgram, namespaces_are_isolated)
{
	long long a_del0 = snmp_in(NS_A, "InDelivers");
	int ra = sock_in(NS_A, self->t->fam);
	int rb = rx_socket(_metadata, self->t, 7012);
	unsigned char buf[64];

	ASSERT_GE(ra, 0);
	ASSERT_GE(rb, 0);
	/* The same port in another namespace is free. */
	enter_ns(NS_A);
	ASSERT_EQ(0, bind_port(ra, self->t->fam, 7012, 0));
	EXPECT_EQ(-1, socket_column(7012 + 1, "drops"));

	ASSERT_EQ(0, send_seq(self->t, 7012, 1, 16));
	EXPECT_EQ(16, recv(rb, buf, sizeof(buf), 0));
	EXPECT_EQ(-1, recv(ra, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(0, snmp_in(NS_A, "InDelivers") - a_del0);
	close(ra);
	/* Gone from nty-a's table, still in nty-b's. */
	EXPECT_EQ(-1, socket_column(7012, "drops"));
	enter_ns(NS_B);
	EXPECT_EQ(0, socket_column(7012, "drops"));
	close(rb);
}

TEST_F(dgram, broadcast_reaches_every_bound_socket)
{
	int r1 = sock_in(NS_B, self->t->fam), r2 = sock_in(NS_B, self->t->fam);
	int tx = sock_in(NS_A, self->t->fam), one = 1;
	struct sockaddr_nty a = to_b(self->t, 7013);
	long long copies0, del0;
	unsigned char buf[64];

	ASSERT_GE(r1, 0);
	ASSERT_GE(r2, 0);
	ASSERT_EQ(0, setsockopt(r1, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_EQ(0, setsockopt(r2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_EQ(0, bind_port(r1, self->t->fam, 7013, 0));
	ASSERT_EQ(0, bind_port(r2, self->t->fam, 7013, 0));
	enter_ns(NS_B);
	copies0 = nty_snmp("InBcastCopies");
	del0 = nty_snmp("InDelivers");

	memset(a.snty_addr, 0xff, 6);
	enter_ns(NS_A);
	/* As UDP: broadcasting takes SO_BROADCAST, or EACCES, nothing sent. */
	EXPECT_EQ(-1, sendto(tx, "bcastbc!", 8, 0, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, connect(tx, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EACCES, errno);
	ASSERT_EQ(0, setsockopt(tx, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)));
	ASSERT_EQ(8, sendto(tx, "bcastbc!", 8, 0, (struct sockaddr *)&a, sizeof(a)));
	enter_ns(NS_B);
	EXPECT_EQ(del0 + 2, wait_snmp(NS_B, "InDelivers", del0 + 2));
	EXPECT_EQ(8, recv(r1, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(8, recv(r2, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(1, nty_snmp("InBcastCopies") - copies0);
	close(r1);
	close(r2);
	close(tx);
}

/*
 * SO_ATTACH_FILTER was accepted and never run.  A classic BPF program
 * that tcpdump -dd compiles ('less 100': the frame from its NTY header on
 * is at most 100 bytes) passes the short datagrams and drops the long
 * ones, counted as socket_filter and in the socket's drops.
 */
TEST_F(dgram, socket_filter_from_tcpdump_runs)
{
	struct sock_filter code[64];
	struct sock_fprog prog = { .filter = code };
	unsigned int c, jt, jf, k;
	long f0;
	char buf[256];
	FILE *p;
	int rx;

	enter_ns(NS_B);
	p = popen("tcpdump -i lo -dd 'less 100' 2>/dev/null", "r");
	ASSERT_NE(NULL, p);
	while (prog.len < 64 && fscanf(p, " { 0x%x, %u, %u, 0x%x },", &c, &jt,
				       &jf, &k) == 4)
		code[prog.len++] = (struct sock_filter){ c, jt, jf, k };
	pclose(p);
	ASSERT_GT(prog.len, 1);
	rx = rx_socket(_metadata, self->t, 7040);
	ASSERT_EQ(0, setsockopt(rx, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
				sizeof(prog)));
	f0 = drops_of("socket_filter");
	ASSERT_EQ(0, send_seq(self->t, 7040, 3, 50));
	ASSERT_EQ(0, send_seq(self->t, 7040, 3, 200));
	ASSERT_EQ(0, send_seq(self->t, 7040, 1, 60));
	enter_ns(NS_B);
	EXPECT_EQ(50, recv(rx, buf, sizeof(buf), 0));
	EXPECT_EQ(50, recv(rx, buf, sizeof(buf), 0));
	EXPECT_EQ(50, recv(rx, buf, sizeof(buf), 0));
	/* The 200-byte ones never queued: the next is the 60-byte one. */
	EXPECT_EQ(60, recv(rx, buf, sizeof(buf), 0));
	EXPECT_EQ(3, drops_of("socket_filter") - f0);
	EXPECT_EQ(3, socket_column(7040, "drops"));
	close(rx);
}

TEST_F(dgram, no_port_counted)
{
	long long np0 = snmp_in(NS_B, "InNoPort");

	ASSERT_EQ(0, send_seq(self->t, 7099, 3, 16));
	EXPECT_EQ(np0 + 3, wait_snmp(NS_B, "InNoPort", np0 + 3));
}

TEST_F(dgram, connect_filters_peers)
{
	int rx = rx_socket(_metadata, self->t, 7014);
	int other = sock_in(NS_A, self->t->fam);
	struct sockaddr_nty peer = { .snty_family = self->t->fam };
	unsigned char buf[64];
	socklen_t alen = sizeof(peer);
	long long np0;

	ASSERT_GE(rx, 0);
	ASSERT_GE(other, 0);
	/* Connected to port 4444 of va: frames from other ports go nowhere. */
	peer.snty_port = htons(4444);
	peer.snty_ifindex = self->t->vb_ifindex;
	memcpy(peer.snty_addr, self->t->va_mac, 6);
	enter_ns(NS_B);
	ASSERT_EQ(0, connect(rx, (struct sockaddr *)&peer, sizeof(peer)));
	ASSERT_EQ(0, getpeername(rx, (struct sockaddr *)&peer, &alen));
	EXPECT_EQ(4444, ntohs(peer.snty_port));
	np0 = nty_snmp("InNoPort");
	ASSERT_EQ(0, send_seq(self->t, 7014, 1, 16));
	EXPECT_EQ(np0 + 1, wait_snmp(NS_B, "InNoPort", np0 + 1));
	EXPECT_EQ(-1, recv(rx, buf, sizeof(buf), MSG_DONTWAIT));

	enter_ns(NS_A);
	ASSERT_EQ(0, bind_port(other, self->t->fam, 4444, 0));
	EXPECT_EQ(5, send_b(other, self->t, 7014, "hello", 5));
	EXPECT_EQ(5, recv(rx, buf, sizeof(buf), 0));
	/* Connected sockets send without an address. */
	EXPECT_EQ(2, send(rx, "ok", 2, 0));
	EXPECT_EQ(2, recv(other, buf, sizeof(buf), 0));
	close(rx);
	close(other);
}

/*
 * Hardening defect 7: SO_BINDTODEVICE after bind() was ignored, the
 * socket still took frames from every interface.  As UDP's lookup checks
 * sk_bound_dev_if at every frame: bound to lo, a frame that came in on
 * vb finds no socket (InNoPort); bound to vb, it arrives.
 */
TEST_F(dgram, bindtodevice_after_bind_honoured)
{
	int rx = rx_socket(_metadata, self->t, 7015);
	unsigned char buf[64];
	long long np0;

	ASSERT_GE(rx, 0);
	enter_ns(NS_B);
	ASSERT_EQ(0, setsockopt(rx, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3));
	np0 = nty_snmp("InNoPort");
	ASSERT_EQ(0, send_seq(self->t, 7015, 1, 16));
	EXPECT_EQ(np0 + 1, wait_snmp(NS_B, "InNoPort", np0 + 1));
	EXPECT_EQ(-1, recv(rx, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);

	enter_ns(NS_B);
	ASSERT_EQ(0, setsockopt(rx, SOL_SOCKET, SO_BINDTODEVICE, "vb", 3));
	ASSERT_EQ(0, send_seq(self->t, 7015, 1, 16));
	EXPECT_EQ(16, recv(rx, buf, sizeof(buf), 0));
	/* Unbound again (an empty name): any interface. */
	ASSERT_EQ(0, setsockopt(rx, SOL_SOCKET, SO_BINDTODEVICE, "", 0));
	ASSERT_EQ(0, send_seq(self->t, 7015, 1, 16));
	EXPECT_EQ(16, recv(rx, buf, sizeof(buf), 0));
	close(rx);
}

TEST_F(dgram, bad_arguments_errno)
{
	struct sockaddr_nty a = to_b(self->t, 7015);
	int fd = sock_in(NS_A, self->t->fam), fd2 = sock_in(NS_A, self->t->fam);
	pid_t pid;

	ASSERT_GE(fd, 0);
	ASSERT_GE(fd2, 0);
	EXPECT_EQ(-1, send(fd, "x", 1, 0));
	EXPECT_EQ(EDESTADDRREQ, errno);
	a.snty_ifindex = 9999;
	EXPECT_EQ(-1, sendto(fd, "x", 1, 0, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(ENXIO, errno);
	a = to_b(self->t, 7015);
	EXPECT_EQ(-1, sendto(fd, "x", 1, 0, (struct sockaddr *)&a, sizeof(a) - 1));
	EXPECT_EQ(EINVAL, errno);
	a.snty_zero[1] = 1;
	EXPECT_EQ(-1, sendto(fd, "x", 1, 0, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EINVAL, errno);
	a = to_b(self->t, 7015);
	a.snty_family = AF_INET;
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	EXPECT_EQ(-1, bind_port(fd, self->t->fam, 7015, 9999));
	EXPECT_EQ(ENODEV, errno);

	/* As UDP, the failed sends above bound fd to an ephemeral port. */
	EXPECT_EQ(-1, bind_port(fd, self->t->fam, 7016, 0));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
	fd = sock_in(NS_A, self->t->fam);
	ASSERT_EQ(0, bind_port(fd, self->t->fam, 7015, 0));
	EXPECT_EQ(-1, bind_port(fd2, self->t->fam, 7015, 0));
	EXPECT_EQ(EADDRINUSE, errno);

	/* Ports below 1024 need CAP_NET_BIND_SERVICE. */
	pid = fork();
	if (pid == 0) {
		int s;

		if (setuid(65534))
			_exit(2);
		s = socket(self->t->fam, SOCK_DGRAM, 0);
		if (bind_port(s, self->t->fam, 80, 0) == 0 || errno != EACCES)
			_exit(1);
		_exit(bind_port(s, self->t->fam, 8080, 0) ? 3 : 0);
	}
	EXPECT_EQ(0, reap(pid));

	/* A down interface. */
	ASSERT_EQ(0, system("ip netns exec nty-a ip link set va down"));
	a = to_b(self->t, 7015);
	enter_ns(NS_A);
	EXPECT_EQ(-1, sendto(fd, "x", 1, 0, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(ENETDOWN, errno);
	ASSERT_EQ(0, system("ip netns exec nty-a ip link set va up"));
	close(fd);
	close(fd2);
}

/*
 * RPS: with rps_cpus naming only the last CPU, every frame is processed
 * there, its poll started by IPI when the frame arrived elsewhere.
 */
TEST_F(dgram, rps_steers_to_chosen_cpu)
{
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN), target, rx, i;
	long proc0, rps0, proc, rps;
	long long del0;
	char mask[16];
	unsigned char buf[64];

	if (ncpu < 2)
		SKIP(return, "needs 2 CPUs, have %d", ncpu);
	target = ncpu - 1;
	rx = rx_socket(_metadata, self->t, 7017);
	ASSERT_GE(rx, 0);
	del0 = nty_snmp("InDelivers");
	proc0 = softnet_cpu(target, "processed");
	rps0 = softnet_cpu(target, "received_rps");

	enter_init_ns();
	snprintf(mask, sizeof(mask), "%x", 1 << target);
	write_file("/proc/sys/net/nty/rps_cpus", mask);
	/* Send from every CPU in turn, so that some frames arrive elsewhere. */
	for (i = 0; i < ncpu; i++) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(i, &set);
		ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
		ASSERT_EQ(0, send_seq(self->t, 7017, 20, 16));
	}
	EXPECT_EQ(del0 + 20 * ncpu,
		  wait_snmp(NS_B, "InDelivers", del0 + 20 * ncpu));
	enter_init_ns();
	write_file("/proc/sys/net/nty/rps_cpus", "0");
	proc = softnet_cpu(target, "processed");
	rps = softnet_cpu(target, "received_rps");

	EXPECT_EQ(20 * ncpu, proc - proc0);
	EXPECT_GT(rps, rps0);
	for (i = 0; i < 20 * ncpu; i++)
		ASSERT_EQ(16, recv(rx, buf, sizeof(buf), MSG_DONTWAIT));
	close(rx);
}

TEST_F(dgram, rps_cpus_rejects_bad_masks)
{
	FILE *f;

	enter_init_ns();
	f = fopen("/proc/sys/net/nty/rps_cpus", "w");
	ASSERT_NE(NULL, f);
	fputs("zz", f);
	EXPECT_NE(0, fclose(f));
	/* Read-only outside the initial namespace, as net.core's are. */
	enter_ns(NS_B);
	EXPECT_EQ(NULL, fopen("/proc/sys/net/nty/rps_cpus", "w"));
	EXPECT_EQ(NULL, fopen("/proc/sys/net/nty/max_backlog", "w"));
	EXPECT_NE(NULL, f = fopen("/proc/sys/net/nty/rmem_max", "w"));
	if (f)
		fclose(f);
}

#define DBG "/sys/kernel/debug/nty/"

/* Sum of one histogram of DBG "latency". */
static long long hist_sum(const char *name)
{
	char line[2048], *tok, *save;
	long long sum = -1;
	FILE *f = fopen(DBG "latency", "r");

	while (f && fgets(line, sizeof(line), f)) {
		tok = strtok_r(line, ":", &save);
		if (!tok || strcmp(tok, name))
			continue;
		sum = 0;
		while ((tok = strtok_r(NULL, "\n ", &save)))
			sum += atoll(tok);
	}
	if (f)
		fclose(f);
	return sum;
}

struct journey {
	long long t_rcv;
	long d_backlog, d_poll, d_sock, d_copy;
	int dport, lport;
	char outcome[16], where[16], what[24];
};

static int read_journeys(struct journey *j, int max)
{
	char line[512];
	int n = 0;
	FILE *f = fopen(DBG "journeys", "r");

	if (!f || !fgets(line, sizeof(line), f))
		return -1;
	while (n < max && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*u %*s %*u %d %*d %lld %ld %ld %ld %ld %15s %15s %23s %d",
			   &j[n].dport, &j[n].t_rcv, &j[n].d_backlog, &j[n].d_poll,
			   &j[n].d_sock, &j[n].d_copy, j[n].outcome, j[n].where,
			   j[n].what, &j[n].lport) == 10)
			n++;
	}
	fclose(f);
	return n;
}

static int count_journeys(struct journey *j, int n, const char *outcome,
			  const char *what)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		if (!strcmp(j[i].outcome, outcome) && !strcmp(j[i].what, what))
			c++;
	return c;
}

/*
 * With timing on: a journey per frame, with ordered stage times and the
 * right outcome, delivered or dropped (one of several kinds), and the
 * histograms counting exactly the frames that passed each stage.
 */
TEST_F(dgram, journeys_and_latency_histograms)
{
	static struct journey j[512];
	unsigned char buf[256], frame[256];
	long long del0, del, err0;
	int rx, small = 1, n, i, k, drops;
	size_t len;

	rx = rx_socket(_metadata, self->t, 7020);
	ASSERT_GE(rx, 0);
	ASSERT_EQ(0, setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
	write_file(DBG "timing", "1");
	write_file(DBG "latency", "0");
	write_file(DBG "journeys", "0");
	write_file(DBG "journey_filter", "port=0 ifindex=0");
	enter_ns(NS_B);
	del0 = nty_snmp("InDelivers");
	err0 = nty_snmp("RcvbufErrors");

	ASSERT_EQ(0, send_seq(self->t, 7020, 6, 100));
	ASSERT_EQ(0, send_seq(self->t, 7099, 1, 16));
	len = good_frame(frame, 7020, 40);
	frame[NTY_HLEN + 1] ^= 0xff;
	ASSERT_EQ(0, inject(self->t, frame, len));
	ASSERT_EQ(0, inject(self->t, frame, 12));
	sleep_ms(300);
	enter_ns(NS_B);
	del = nty_snmp("InDelivers") - del0;
	drops = nty_snmp("RcvbufErrors") - err0;
	k = del;
	ASSERT_EQ(6, del + drops);
	ASSERT_GT(k, 0);
	for (i = 0; i < k; i++)
		ASSERT_EQ(100, recv(rx, buf, sizeof(buf), MSG_DONTWAIT));

	n = read_journeys(j, 512);
	EXPECT_EQ(9, n);
	EXPECT_EQ(k, count_journeys(j, n, "delivered", "receive"));
	EXPECT_EQ(drops, count_journeys(j, n, "dropped", "rcvbuf"));
	EXPECT_EQ(1, count_journeys(j, n, "dropped", "no_socket"));
	EXPECT_EQ(1, count_journeys(j, n, "dropped", "csum"));
	EXPECT_EQ(1, count_journeys(j, n, "dropped", "hdr_short"));
	for (i = 0; i < n; i++) {
		EXPECT_GT(j[i].t_rcv, 0);
		EXPECT_LE(j[i].d_backlog, j[i].d_poll);
		if (!strcmp(j[i].outcome, "delivered")) {
			EXPECT_EQ(7020, j[i].lport);
			EXPECT_LE(j[i].d_poll, j[i].d_sock);
			EXPECT_LT(j[i].d_sock, j[i].d_copy);
		}
	}

	/* Each histogram counted the frames that passed its stage. */
	EXPECT_EQ(9, hist_sum("backlog_len_at_enqueue"));
	EXPECT_EQ(9, hist_sum("backlog_wait_ns"));
	EXPECT_EQ(6, hist_sum("protocol_ns"));
	EXPECT_EQ(k, hist_sum("socket_wait_ns"));
	EXPECT_EQ(k, hist_sum("total_ns"));
	EXPECT_GE(hist_sum("frames_per_poll"), 1);

	/* Reset zeroes them; with timing off they stay still. */
	write_file(DBG "latency", "0");
	EXPECT_EQ(0, hist_sum("total_ns"));
	write_file(DBG "timing", "0");
	ASSERT_EQ(0, send_seq(self->t, 7020, 1, 100));
	ASSERT_EQ(100, recv(rx, buf, sizeof(buf), 0));
	EXPECT_EQ(0, hist_sum("total_ns"));
	EXPECT_EQ(0, hist_sum("backlog_len_at_enqueue"));
	EXPECT_EQ(9, read_journeys(j, 512));

	/* The filter records only the port asked for. */
	write_file(DBG "timing", "1");
	write_file(DBG "journeys", "0");
	write_file(DBG "journey_filter", "port=7099");
	ASSERT_EQ(0, send_seq(self->t, 7020, 1, 100));
	ASSERT_EQ(0, send_seq(self->t, 7099, 2, 16));
	ASSERT_EQ(100, recv(rx, buf, sizeof(buf), 0));
	sleep_ms(200);
	n = read_journeys(j, 512);
	EXPECT_EQ(2, n);
	EXPECT_EQ(2, count_journeys(j, n, "dropped", "no_socket"));
	write_file(DBG "journey_filter", "port=0");
	write_file(DBG "timing", "0");
	close(rx);
}

/* The backlog sysctl's word, newline dropped, into @buf. */
static void backlog_mode(char *buf, size_t len)
{
	FILE *f;

	buf[0] = 0;
	enter_init_ns();
	f = fopen("/proc/sys/net/nty/backlog", "r");
	if (f) {
		if (!fgets(buf, len, f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
}

/*
 * The backlog sysctl: at "rps" without rps_cpus every frame goes from the
 * packet_type handler straight to the protocol, counted in softnet's
 * direct column and by no poll, its journey showing no backlog time and
 * the backlog histograms nothing; with rps_cpus set, steered frames meet
 * the chosen CPU's backlog again; back at "always" every frame does.
 * Every frame is delivered, in order, in all three.
 */
TEST_F(dgram, backlog_mode_rps_goes_direct)
{
	static struct journey j[64];
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN), rx, i, n, round;
	long proc0, dir0, proc, dir, tproc0;
	long long del0;
	unsigned char buf[64];
	char mode[32], mask[16];
	FILE *f;

	backlog_mode(mode, sizeof(mode));
	ASSERT_STREQ("always", mode);
	rx = rx_socket(_metadata, self->t, 7021);
	ASSERT_GE(rx, 0);

	/* Not a mode: EINVAL, the mode unchanged. */
	enter_init_ns();
	f = fopen("/proc/sys/net/nty/backlog", "w");
	ASSERT_NE(NULL, f);
	fputs("sometimes", f);
	EXPECT_NE(0, fclose(f));
	backlog_mode(mode, sizeof(mode));
	EXPECT_STREQ("always", mode);
	enter_ns(NS_B);
	EXPECT_EQ(NULL, fopen("/proc/sys/net/nty/backlog", "w"));

	/* rps, no rps_cpus: direct, timed, in order. */
	enter_init_ns();
	write_file("/proc/sys/net/nty/backlog", "rps\n");
	backlog_mode(mode, sizeof(mode));
	EXPECT_STREQ("rps", mode);
	write_file(DBG "timing", "1");
	write_file(DBG "latency", "0");
	write_file(DBG "journeys", "0");
	write_file(DBG "journey_filter", "port=7021 ifindex=0");
	proc0 = softnet_cpu(-1, "processed");
	dir0 = softnet_cpu(-1, "direct");
	del0 = snmp_in(NS_B, "InDelivers");
	ASSERT_EQ(0, send_seq(self->t, 7021, 40, 16));
	EXPECT_EQ(del0 + 40, wait_snmp(NS_B, "InDelivers", del0 + 40));
	enter_init_ns();
	proc = softnet_cpu(-1, "processed") - proc0;
	dir = softnet_cpu(-1, "direct") - dir0;
	EXPECT_EQ(0, proc);
	EXPECT_EQ(40, dir);
	for (i = 0; i < 40; i++) {
		ASSERT_EQ(16, recv(rx, buf, sizeof(buf), MSG_DONTWAIT));
		EXPECT_EQ(i, (int)ntohl(*(uint32_t *)buf));
	}
	n = read_journeys(j, 64);
	EXPECT_EQ(40, n);
	EXPECT_EQ(40, count_journeys(j, n, "delivered", "receive"));
	for (i = 0; i < n; i++) {
		EXPECT_EQ(0, j[i].d_backlog);
		EXPECT_GT(j[i].d_poll, 0);
		EXPECT_LE(j[i].d_poll, j[i].d_sock);
	}
	EXPECT_EQ(0, hist_sum("backlog_len_at_enqueue"));
	EXPECT_EQ(0, hist_sum("backlog_wait_ns"));
	EXPECT_EQ(40, hist_sum("protocol_ns"));
	EXPECT_EQ(40, hist_sum("total_ns"));
	write_file(DBG "timing", "0");
	write_file(DBG "journey_filter", "port=0 ifindex=0");

	/*
	 * Round 0: rps with rps_cpus naming the last CPU; round 1: always.
	 * Both queue every frame on a backlog and none goes direct.
	 */
	for (round = 0; round < 2; round++) {
		int target = round ? 0 : ncpu - 1;

		enter_init_ns();
		if (!round) {
			snprintf(mask, sizeof(mask), "%x", 1 << target);
			write_file("/proc/sys/net/nty/rps_cpus", mask);
		} else {
			write_file("/proc/sys/net/nty/rps_cpus", "0");
			write_file("/proc/sys/net/nty/backlog", "always");
		}
		tproc0 = softnet_cpu(target, "processed");
		proc0 = softnet_cpu(-1, "processed");
		dir0 = softnet_cpu(-1, "direct");
		del0 = snmp_in(NS_B, "InDelivers");
		ASSERT_EQ(0, send_seq(self->t, 7021, 30, 16));
		EXPECT_EQ(del0 + 30, wait_snmp(NS_B, "InDelivers", del0 + 30));
		enter_init_ns();
		EXPECT_EQ(30, softnet_cpu(target, "processed") - tproc0);
		EXPECT_EQ(30, softnet_cpu(-1, "processed") - proc0);
		EXPECT_EQ(0, softnet_cpu(-1, "direct") - dir0);
		for (i = 0; i < 30; i++) {
			ASSERT_EQ(16, recv(rx, buf, sizeof(buf), MSG_DONTWAIT));
			EXPECT_EQ(i, (int)ntohl(*(uint32_t *)buf));
		}
	}
	backlog_mode(mode, sizeof(mode));
	EXPECT_STREQ("always", mode);
	close(rx);
}

TEST_F(dgram, stage_times_control_message)
{
	char cbuf[CMSG_SPACE(sizeof(struct nty_stage_times))];
	struct nty_stage_times st;
	unsigned char buf[64];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct timespec t0, t1;
	struct cmsghdr *cm;
	int rx, one = 1, val = 0, i, seen;
	socklen_t vlen = sizeof(val);
	long long lo, hi;

	rx = rx_socket(_metadata, self->t, 7021);
	ASSERT_GE(rx, 0);
	EXPECT_EQ(-1, setsockopt(rx, SOL_NTY, NTY_STAGE_TIMES, &one, 2));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, setsockopt(rx, SOL_NTY, NTY_STAGE_TIMES, &one, sizeof(one)));
	ASSERT_EQ(0, getsockopt(rx, SOL_NTY, NTY_STAGE_TIMES, &val, &vlen));
	EXPECT_EQ(1, val);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, send_seq(self->t, 7021, 5, 32));
	for (i = 0; i < 5; i++) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		ASSERT_EQ(32, recvmsg(rx, &msg, 0));
		clock_gettime(CLOCK_MONOTONIC, &t1);
		lo = t0.tv_sec * 1000000000LL + t0.tv_nsec;
		hi = t1.tv_sec * 1000000000LL + t1.tv_nsec;
		seen = 0;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level != SOL_NTY || cm->cmsg_type != NTY_STAGE_TIMES)
				continue;
			memcpy(&st, CMSG_DATA(cm), sizeof(st));
			seen = 1;
		}
		ASSERT_EQ(1, seen);
		EXPECT_LE(lo, (long long)st.rcv);
		EXPECT_LE(st.rcv, st.backlog);
		EXPECT_LE(st.backlog, st.poll);
		EXPECT_LE(st.poll, st.sock);
		EXPECT_LT(st.sock, st.copy);
		EXPECT_LE((long long)st.copy, hi);
	}

	/* Off again: no control message. */
	one = 0;
	ASSERT_EQ(0, setsockopt(rx, SOL_NTY, NTY_STAGE_TIMES, &one, sizeof(one)));
	ASSERT_EQ(0, send_seq(self->t, 7021, 1, 32));
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	ASSERT_EQ(32, recvmsg(rx, &msg, 0));
	EXPECT_EQ(0, msg.msg_controllen);
	close(rx);
}

/*
 * Review defect 12: any user's NTY_STAGE_TIMES turned the global journey
 * ring on for every frame of every namespace.  A socket's stage times
 * stamp frames; journeys are recorded only while root has timing on.
 */
TEST_F(dgram, stage_times_socket_records_no_journeys)
{
	struct journey j[64];
	unsigned char buf[64];
	int rx, one = 1, i;

	enter_init_ns();
	write_file(DBG "timing", "0");
	write_file(DBG "journeys", "0");
	rx = rx_socket(_metadata, self->t, 7022);
	ASSERT_GE(rx, 0);
	ASSERT_EQ(0, setsockopt(rx, SOL_NTY, NTY_STAGE_TIMES, &one, sizeof(one)));
	ASSERT_EQ(0, send_seq(self->t, 7022, 5, 32));
	ASSERT_EQ(0, send_seq(self->t, 7099, 2, 32));	/* no socket: drops */
	enter_ns(NS_B);
	for (i = 0; i < 5; i++)
		ASSERT_EQ(32, recv(rx, buf, sizeof(buf), 0));
	enter_init_ns();
	EXPECT_EQ(0, read_journeys(j, 64));
	close(rx);
}

/* Last: everything the tests above sent is accounted for. */
/*
 * The checksum is left to the device (CHECKSUM_PARTIAL), as for UDP: veth
 * passes the frame on unsummed (check 0 on the wire) and the receiver
 * trusts it, since it never left memory; with `ethtool -K va tx off` the
 * core sums it in software and the frame carries a correct checksum.
 * Both are delivered and none is counted bad.  AF_PACKET in nty-b sees
 * what arrived.
 */
TEST_F(dgram, checksum_left_to_the_device)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct pollfd pf = { .events = POLLIN };
	const struct ntyhdr *nh;
	unsigned char buf[2048];
	int rx, sw, got;
	long long bad0;
	ssize_t n;

	rx = rx_socket(_metadata, self->t, 5300);
	ASSERT_GE(rx, 0);
	sll.sll_protocol = htons(read_long("/sys/module/nty/parameters/ethertype"));
	sll.sll_ifindex = self->t->vb_ifindex;
	pf.fd = socket(AF_PACKET, SOCK_DGRAM, sll.sll_protocol);
	ASSERT_GE(pf.fd, 0);
	ASSERT_EQ(0, bind(pf.fd, (struct sockaddr *)&sll, sizeof(sll)));
	bad0 = nty_snmp("InCsumErrors");

	for (sw = 0; sw < 2; sw++) {
		if (sw)
			ASSERT_EQ(0, system("ip netns exec " NS_A
					    " ethtool -K va tx off >/dev/null"));
		ASSERT_EQ(0, send_seq(self->t, 5300, 1, 100));
		enter_ns(NS_B);
		EXPECT_EQ(100, recv(rx, buf, sizeof(buf), 0));
		for (got = 0; !got && poll(&pf, 1, 3000) == 1;) {
			n = recv(pf.fd, buf, sizeof(buf), 0);
			nh = (const struct ntyhdr *)buf;
			got = n == NTY_HLEN + 100 && ntohs(nh->dest) == 5300;
		}
		ASSERT_TRUE(got);
		if (!sw) {
			EXPECT_EQ(0, nh->check);
		} else {
			EXPECT_NE(0, nh->check);
			EXPECT_EQ(0, csum(buf, NTY_HLEN + 100));
		}
	}
	EXPECT_EQ(0, system("ip netns exec " NS_A " ethtool -K va tx on >/dev/null"));
	enter_ns(NS_B);
	EXPECT_EQ(0, nty_snmp("InCsumErrors") - bad0);
	close(pf.fd);
	close(rx);
}

TEST_F(dgram, zz_conservation)
{
	EXPECT_EQ(0, conservation_gap(NS_B));
	EXPECT_EQ(0, conservation_gap(NS_A));
	EXPECT_GT(snmp_in(NS_B, "InFrames"), 10000);
}

TEST_HARNESS_MAIN

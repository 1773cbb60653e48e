// SPDX-License-Identifier: GPL-2.0
/*
 * ntyfuzz_netns: network namespaces that die with every kind of NTY timer
 * armed and frames in flight (RDS's CVE-2024-26865 was a SYN queue timer
 * that fired after its namespace was freed).  Each lifetime is a child
 * process in a namespace of its own, over a veth pair of its own (a
 * frame sent on one end arrives on the other, in the same namespace):
 *  - a listener of its own whose SYN queue a raw SYN flood from made-up
 *    MACs fills (SYN-ACK retransmission timers armed, max_syn_backlog
 *    16): not the one the connections below go through, whose SYNs a
 *    full queue would drop until the flood's entries expired (a minute
 *    of SYN retransmissions per lifetime);
 *  - a connection closed by its client first, which is in TIME_WAIT;
 *  - a connection whose reader never reads, its writer past the window
 *    (zero-window probe timer armed, data unsent at exit: an orphan);
 *  - a connection with one byte just received (delayed-ACK timer armed);
 *  - a burst of datagrams to a bound socket, the last ones still on their
 *    way when the process exits and the namespace goes.
 * The child exits without closing anything; the next lifetime starts at
 * once while the kernel tears the last one down.  The pair is made over
 * rtnetlink, not by ip(8): two execs cost more than the rest of a
 * lifetime under emulation.
 *
 *   ntyfuzz_netns [-n LIFETIMES] [-j PARALLEL]
 *
 * Prints how many lifetimes completed each step; exits non-zero when the
 * harness failed (the kernel's health is judged from its log).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "lib/nty_user.h"

#define PORT		7000
#define DPORT		7001
#define FPORT		7002
#define SYNS		40

static int fam;

static int read_ethertype(void)
{
	FILE *f = fopen("/sys/module/nty/parameters/ethertype", "r");
	int v = ETH_P_NTY;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = ETH_P_NTY;
		fclose(f);
	}
	return v;
}

/* Write @val to /proc/sys/net/nty/@name of the current namespace. */
static void nty_sysctl(const char *name, const char *val)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/nty/%s", name);
	fd = open(path, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, val, strlen(val)) < 0)
			perror(path);
		close(fd);
	}
}

static int ifa, ifb;
static unsigned char mac_b[6];

/* To @port over the pair: out of its first end, to its second. */
static struct sockaddr_nty lo(int port)
{
	struct sockaddr_nty a = {
		.snty_family = fam,
		.snty_port = htons(port),
		.snty_ifindex = ifa,
	};

	memcpy(a.snty_addr, mac_b, 6);
	return a;
}

/* rtnetlink message under construction: a header and its attributes. */
struct nlbuf {
	struct nlmsghdr nh;
	struct ifinfomsg ifi;
	char attrs[512];
};

static struct rtattr *nl_put(struct nlbuf *m, int type, const void *data,
			     int len)
{
	struct rtattr *a = (struct rtattr *)((char *)m + NLMSG_ALIGN(m->nh.nlmsg_len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	if (data)
		memcpy(RTA_DATA(a), data, len);
	m->nh.nlmsg_len = NLMSG_ALIGN(m->nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

/* Close a nested attribute opened with nl_put(m, type, NULL, 0). */
static void nl_end(struct nlbuf *m, struct rtattr *a)
{
	a->rta_len = (char *)m + m->nh.nlmsg_len - (char *)a;
}

/* ip link add @a type veth peer name @b: 0 or -1. */
static int veth_pair(const char *a, const char *b)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nlbuf m = {
		.nh = {
			.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
			.nlmsg_type = RTM_NEWLINK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
				       NLM_F_EXCL,
		},
		.ifi = { .ifi_family = AF_UNSPEC },
	};
	/* Up afterwards: veth_open() wants its peer, linked only at the end. */
	struct ifinfomsg peer = { .ifi_family = AF_UNSPEC };
	struct rtattr *info, *data, *p;
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} ack;
	int fd, ret = -1;

	nl_put(&m, IFLA_IFNAME, a, strlen(a) + 1);
	info = nl_put(&m, IFLA_LINKINFO, NULL, 0);
	nl_put(&m, IFLA_INFO_KIND, "veth", 5);
	data = nl_put(&m, IFLA_INFO_DATA, NULL, 0);
	p = nl_put(&m, VETH_INFO_PEER, &peer, sizeof(peer));
	nl_put(&m, IFLA_IFNAME, b, strlen(b) + 1);
	nl_end(&m, p);
	nl_end(&m, data);
	nl_end(&m, info);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	memset(&ack, 0, sizeof(ack));
	if (sendto(fd, &m, m.nh.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) != (ssize_t)m.nh.nlmsg_len ||
	    recv(fd, &ack, sizeof(ack), 0) < (ssize_t)sizeof(ack.nh))
		;	/* errno says why */
	else if (ack.nh.nlmsg_type != NLMSG_ERROR)
		errno = EPROTO;
	else if (ack.err.error)
		errno = -ack.err.error;
	else
		ret = 0;
	close(fd);
	return ret;
}

/* ip link set @name up: 0 or -1. */
static int if_up(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_UP };
	int fd, ret;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	return ret;
}

static uint16_t csum16(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += p[i] << 8 | p[i + 1];
	if (len & 1)
		s += p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s;
}

/* @n SYNs to PORT from made-up MACs, as a flood would come. */
static int syn_flood(int n)
{
	int et = read_ethertype(), fd, i;
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_ifindex = ifa,
		.sll_halen = 6,
	};
	unsigned char f[14 + NTY_HLEN];
	struct ntyhdr *h = (struct ntyhdr *)(f + 14);

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		return -1;
	for (i = 0; i < n; i++) {
		memset(f, 0, sizeof(f));
		/* To the second end, from 02:00:00:00:xx:xx. */
		memcpy(f, mac_b, 6);
		f[6] = 2;
		f[10] = i >> 8;
		f[11] = i;
		f[12] = et >> 8;
		f[13] = et;
		h->version = NTY_VERSION;
		h->type = NTY_TYPE_STREAM;
		h->flags = NTY_F_SYN;
		h->source = htons(20000 + i);
		h->dest = htons(FPORT);
		h->len = htons(NTY_HLEN);
		h->seq = htonl(i * 7919);
		h->window = htons(64);
		h->check = htons(csum16(h, NTY_HLEN));
		sendto(fd, f, sizeof(f), 0, (struct sockaddr *)&sll, sizeof(sll));
	}
	close(fd);
	return 0;
}

static int stream_pair(int lfd, int *c, int *s, int rcvbuf)
{
	struct sockaddr_nty a = lo(PORT);
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	struct timeval tv = { .tv_sec = 3 };

	*c = socket(fam, SOCK_STREAM, 0);
	if (*c < 0)
		return -1;
	if (rcvbuf)
		setsockopt(*c, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/* A lifetime that stalls shows as fewer steps, not as an hour. */
	setsockopt(*c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(*c, (struct sockaddr *)&a, sizeof(a)) ||
	    poll(&p, 1, 3000) != 1)
		return -1;
	*s = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	return *s < 0 ? -1 : 0;
}

/* One namespace's life; returns the steps it completed (0 to 5). */
static int lifetime(void)
{
	struct sockaddr_nty a = { .snty_family = fam, .snty_port = htons(PORT) };
	struct sockaddr_nty d = { .snty_family = fam, .snty_port = htons(DPORT) };
	struct sockaddr_nty f = { .snty_family = fam, .snty_port = htons(FPORT) };
	struct sockaddr_nty to;
	static char buf[65536];
	int lfd, ffd, c1, s1, c2, s2, c3, s3, r, tx, i, sent, one = 1;
	int steps = 0;

	if (unshare(CLONE_NEWNET))
		return -1;
	if (if_up("lo"))
		return -1;
	if (veth_pair("na", "nb") || if_up("na") || if_up("nb") ||
	    nty_ifinfo("na", &ifa, NULL) ||
	    nty_ifinfo("nb", &ifb, mac_b)) {
		perror("ntyfuzz_netns: veth pair");
		return -1;
	}
	/* The pair exists now: frames to DPORT leave by its first end. */
	to = lo(DPORT);
	nty_sysctl("max_syn_backlog", "16");
	nty_sysctl("delayed_ack", "1");
	/* Orphans give up soon: the namespace is freed after its sockets. */
	nty_sysctl("orphan_retries", "1");
	nty_sysctl("fin_timeout", "1");

	lfd = socket(fam, SOCK_STREAM, 0);
	ffd = socket(fam, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(lfd, 8) || ffd < 0 ||
	    bind(ffd, (struct sockaddr *)&f, sizeof(f)) || listen(ffd, 8))
		return steps;
	if (syn_flood(SYNS))
		return steps;
	steps++;

	/* TIME_WAIT: the client closes first, then the server. */
	if (stream_pair(lfd, &c1, &s1, 0))
		return steps;
	send(c1, "x", 1, MSG_NOSIGNAL);
	close(c1);
	usleep(20000);
	close(s1);
	steps++;

	/* A reader that never reads, a writer past its window. */
	if (stream_pair(lfd, &c2, &s2, 0))
		return steps;
	r = 4096;
	setsockopt(s2, SOL_SOCKET, SO_RCVBUF, &r, sizeof(r));
	fcntl(c2, F_SETFL, O_NONBLOCK);
	for (i = 0; i < 64; i++)
		if (send(c2, buf, sizeof(buf), MSG_NOSIGNAL) < 0)
			break;
	steps++;

	/* One byte in: the receiver's delayed ACK is pending. */
	if (stream_pair(lfd, &c3, &s3, 0))
		return steps;
	send(c3, "y", 1, MSG_NOSIGNAL);
	steps++;

	/* Datagrams still on their way at exit. */
	r = socket(fam, SOCK_DGRAM, 0);
	tx = socket(fam, SOCK_DGRAM, 0);
	if (r < 0 || tx < 0 || bind(r, (struct sockaddr *)&d, sizeof(d)))
		return steps;
	for (i = 0, sent = 0; i < 200; i++)
		sent += sendto(tx, buf, 200, MSG_DONTWAIT,
			       (struct sockaddr *)&to, sizeof(to)) == 200;
	/* At least one must have left: it is the frame in flight. */
	if (sent)
		steps++;
	return steps;
}

int main(int argc, char **argv)
{
	long n = 100, done = 0, started = 0, steps[6] = { 0 };
	int par = 2, opt, st, running = 0;
	pid_t pid;

	while ((opt = getopt(argc, argv, "n:j:")) != -1) {
		switch (opt) {
		case 'n':
			n = atol(optarg);
			break;
		case 'j':
			par = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: ntyfuzz_netns [-n LIFETIMES] [-j PARALLEL]\n");
			return 2;
		}
	}
	fam = nty_user_family();
	while (done < n) {
		while (running < par && started < n) {
			pid = fork();
			if (pid == 0) {
				int s = lifetime();

				_exit(s < 0 ? 100 : s);
			}
			if (pid < 0)
				break;
			started++;
			running++;
		}
		pid = wait(&st);
		if (pid < 0)
			return 2;
		running--;
		done++;
		if (!WIFEXITED(st) || WEXITSTATUS(st) == 100) {
			fprintf(stderr, "ntyfuzz_netns: a lifetime failed to start\n");
			return 2;
		}
		steps[WEXITSTATUS(st) > 5 ? 5 : WEXITSTATUS(st)]++;
	}
	printf("ntyfuzz_netns: %ld namespace lifetimes; ", done);
	printf("all five timer kinds armed in %ld, fewer in %ld\n", steps[5],
	       done - steps[5]);
	return 0;
}

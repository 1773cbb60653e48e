// SPDX-License-Identifier: GPL-2.0
/*
 * ntyfuzz_failnth: every allocation and user copy on each NTY system call
 * made to fail once, the way syzkaller's fault injection does it.  For each
 * recipe (a call on a socket in a known state: a datagram sent, a stream
 * connected, a listener with a connection waiting...), the state is made
 * afresh, /proc/thread-self/fail-nth is set to N and the call made; N
 * counts up from 1 until the call finishes before its Nth fault point (the
 * file reads back non-zero: nothing was injected).  The kernel must answer
 * each injected failure with an error or a clean success, leak nothing
 * (kmemleak, /proc/net/nty/sockstat back to zero) and report nothing
 * (its log decides).  Needs a kernel with CONFIG_FAULT_INJECTION,
 * FAILSLAB, FAIL_PAGE_ALLOC and FAULT_INJECTION_USERCOPY, their debugfs
 * knobs set so that sleeping allocations fail too (scripts/vm-fuzz).
 *
 *   ntyfuzz_failnth [-r ROUNDS] [-i IFACE] [-m PEER_MAC] [-P PEER_NETNS]
 *
 * Runs in the client's namespace (nty-a of tools/selftests/topo.sh); a
 * responder in PEER_NETNS listens and echoes.  Prints, per recipe, the
 * faults injected and the errnos they came back as, then the totals.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/filter.h>
#include <linux/sockios.h>
#include <net/if.h>

#include "lib/nty_user.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PORT		7500
#define LO_PORT		7501
#define MAX_NTH		400

static int fam, ifindex, nth_fd = -1, own_ns = -1, peer_ns_fd = -1;
static int peer_ifindex;
static unsigned char peer_mac[6], own_mac[6];

struct ctx {
	int fd;		/* the socket the call is made on */
	int peer;	/* the other end, when the recipe has one here */
	int lfd;	/* a listener */
};

static struct sockaddr_nty peer_addr(int port)
{
	struct sockaddr_nty a = {
		.snty_family = fam,
		.snty_port = htons(port),
		.snty_ifindex = ifindex,
	};

	memcpy(a.snty_addr, peer_mac, 6);
	return a;
}

/* This namespace's own end of the link, for connections to us. */
static struct sockaddr_nty own_addr(int port)
{
	struct sockaddr_nty a = {
		.snty_family = fam,
		.snty_port = htons(port),
		.snty_ifindex = peer_ifindex,
	};

	memcpy(a.snty_addr, own_mac, 6);
	return a;
}

static int wait_in(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 ? 0 : -1;
}

static int sock(int type)
{
	int fd = socket(fam, type, 0);
	struct timeval tv = { .tv_sec = 2 };

	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	return fd;
}

static int connected(struct ctx *c)
{
	struct sockaddr_nty a = peer_addr(PORT);

	c->fd = sock(SOCK_STREAM);
	return c->fd < 0 ? -1 : connect(c->fd, (struct sockaddr *)&a, sizeof(a));
}

/*
 * A listener here with one connection waiting in its accept queue: the
 * client's socket is made in the peer's namespace (a socket stays in the
 * namespace it was made in), so that it connects across the link.
 */
static int lo_pending(struct ctx *c)
{
	struct sockaddr_nty a = { .snty_family = fam,
				  .snty_port = htons(LO_PORT) };
	struct sockaddr_nty to = own_addr(LO_PORT);
	int one = 1;

	c->lfd = sock(SOCK_STREAM);
	if (c->lfd < 0)
		return -1;
	setsockopt(c->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(c->lfd, (struct sockaddr *)&a, sizeof(a)) || listen(c->lfd, 8))
		return -1;
	if (setns(peer_ns_fd, CLONE_NEWNET))
		return -1;
	c->peer = sock(SOCK_STREAM);
	if (setns(own_ns, CLONE_NEWNET) || c->peer < 0 ||
	    connect(c->peer, (struct sockaddr *)&to, sizeof(to)))
		return -1;
	return wait_in(c->lfd, 2000);
}

static int p_none(struct ctx *c)
{
	(void)c;
	return 0;
}

static int p_dgram(struct ctx *c)
{
	c->fd = sock(SOCK_DGRAM);
	return c->fd < 0 ? -1 : 0;
}

static int p_stream(struct ctx *c)
{
	c->fd = sock(SOCK_STREAM);
	return c->fd < 0 ? -1 : 0;
}

static int p_dgram_echoed(struct ctx *c)
{
	struct sockaddr_nty a = peer_addr(PORT);

	if (p_dgram(c) || sendto(c->fd, "ping", 4, 0, (struct sockaddr *)&a,
				 sizeof(a)) != 4)
		return -1;
	return wait_in(c->fd, 2000);
}

static int p_connected(struct ctx *c)
{
	return connected(c);
}

static int p_connected_echoed(struct ctx *c)
{
	if (connected(c) || send(c->fd, "ping", 4, MSG_NOSIGNAL) != 4)
		return -1;
	return wait_in(c->fd, 2000);
}

static int p_lo_pending(struct ctx *c)
{
	return lo_pending(c);
}

static int p_lo_accepted(struct ctx *c)
{
	if (lo_pending(c))
		return -1;
	c->fd = accept(c->lfd, NULL, NULL);
	return c->fd < 0 ? -1 : 0;
}

static long a_socket_dgram(struct ctx *c)
{
	return c->fd = socket(fam, SOCK_DGRAM, 0);
}

static long a_socket_stream(struct ctx *c)
{
	return c->fd = socket(fam, SOCK_STREAM, 0);
}

static long a_bind(struct ctx *c)
{
	struct sockaddr_nty a = { .snty_family = fam };

	return bind(c->fd, (struct sockaddr *)&a, sizeof(a));
}

static long a_sendto(struct ctx *c)
{
	struct sockaddr_nty a = peer_addr(PORT);
	static char buf[1000];

	return sendto(c->fd, buf, sizeof(buf), 0, (struct sockaddr *)&a,
		      sizeof(a));
}

static long a_recvmsg(struct ctx *c)
{
	char buf[64], cbuf[128];
	struct sockaddr_nty from;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr m = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};

	return recvmsg(c->fd, &m, MSG_DONTWAIT);
}

static long a_connect_dgram(struct ctx *c)
{
	struct sockaddr_nty a = peer_addr(PORT);

	return connect(c->fd, (struct sockaddr *)&a, sizeof(a));
}

static long a_connect_stream(struct ctx *c)
{
	struct sockaddr_nty a = peer_addr(PORT);

	return connect(c->fd, (struct sockaddr *)&a, sizeof(a));
}

static long a_listen(struct ctx *c)
{
	return listen(c->fd, 16);
}

static long a_accept(struct ctx *c)
{
	struct sockaddr_nty a;
	socklen_t al = sizeof(a);

	return c->fd = accept4(c->lfd, (struct sockaddr *)&a, &al,
			       SOCK_NONBLOCK);
}

static long a_send_stream(struct ctx *c)
{
	static char buf[6000];

	return send(c->fd, buf, sizeof(buf), MSG_NOSIGNAL);
}

static long a_sendmsg_iov(struct ctx *c)
{
	static char b1[100], b2[3000], b3[10];
	struct iovec iov[3] = {
		{ b1, sizeof(b1) }, { b2, sizeof(b2) }, { b3, sizeof(b3) },
	};
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 3 };

	return sendmsg(c->fd, &m, MSG_NOSIGNAL);
}

static long a_recv_stream(struct ctx *c)
{
	char buf[64];

	return recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
}

static long a_filter(struct ctx *c)
{
	struct sock_filter code[] = { { 0x06, 0, 0, 0xffff } };
	struct sock_fprog prog = { .len = 1, .filter = code };

	return setsockopt(c->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
			  sizeof(prog));
}

static long a_rcvbuf(struct ctx *c)
{
	int v = 1 << 20;

	return setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
}

static long a_stage_times(struct ctx *c)
{
	int v = 1;

	return setsockopt(c->fd, SOL_NTY, NTY_STAGE_TIMES, &v, sizeof(v));
}

static long a_getsockopt(struct ctx *c)
{
	int v;
	socklen_t l = sizeof(v);

	return getsockopt(c->fd, SOL_NTY, NTY_STAGE_TIMES, &v, &l);
}

static long a_ioctl(struct ctx *c)
{
	int v;

	return ioctl(c->fd, SIOCINQ, &v);
}

static long a_shutdown(struct ctx *c)
{
	return shutdown(c->fd, SHUT_WR);
}

static long a_close(struct ctx *c)
{
	long r = close(c->fd);

	c->fd = -1;
	return r;
}

static long a_close_listener(struct ctx *c)
{
	long r = close(c->lfd);

	c->lfd = -1;
	return r;
}

static const struct recipe {
	const char *name;
	int (*prep)(struct ctx *c);
	long (*act)(struct ctx *c);
} recipes[] = {
	{ "socket_dgram", p_none, a_socket_dgram },
	{ "socket_stream", p_none, a_socket_stream },
	{ "bind_dgram", p_dgram, a_bind },
	{ "bind_stream", p_stream, a_bind },
	{ "sendto_dgram", p_dgram, a_sendto },
	{ "recvmsg_dgram", p_dgram_echoed, a_recvmsg },
	{ "connect_dgram", p_dgram, a_connect_dgram },
	{ "connect_stream", p_stream, a_connect_stream },
	{ "listen", p_stream, a_listen },
	{ "accept", p_lo_pending, a_accept },
	{ "send_stream", p_connected, a_send_stream },
	{ "sendmsg_stream_iov", p_connected, a_sendmsg_iov },
	{ "recv_stream", p_connected_echoed, a_recv_stream },
	{ "recvmsg_stream", p_connected_echoed, a_recvmsg },
	{ "attach_filter", p_dgram, a_filter },
	{ "so_rcvbuf", p_stream, a_rcvbuf },
	{ "stage_times", p_dgram, a_stage_times },
	{ "getsockopt", p_dgram, a_getsockopt },
	{ "ioctl_inq", p_connected_echoed, a_ioctl },
	{ "shutdown_stream", p_connected, a_shutdown },
	{ "close_stream", p_connected, a_close },
	{ "close_accepted", p_lo_accepted, a_close },
	{ "close_listener_with_child", p_lo_pending, a_close_listener },
	{ "close_dgram", p_dgram_echoed, a_close },
};

static void ctx_close(struct ctx *c)
{
	if (c->fd >= 0)
		close(c->fd);
	if (c->peer >= 0)
		close(c->peer);
	if (c->lfd >= 0)
		close(c->lfd);
	c->fd = -1;
	c->peer = -1;
	c->lfd = -1;
}

/* Arm fail-nth: the @n-th fault point of this thread fails. */
static int nth_set(int n)
{
	char b[16];
	int len = snprintf(b, sizeof(b), "%d", n);

	return pwrite(nth_fd, b, len, 0) == len ? 0 : -1;
}

/* What is left of the count: 0 once the fault was injected. */
static int nth_get(void)
{
	char b[16] = "";

	if (pread(nth_fd, b, sizeof(b) - 1, 0) <= 0)
		return -1;
	return atoi(b);
}

/* The peer: a listener and a datagram socket on PORT, echoing. */
static void responder(const char *netns)
{
	struct sockaddr_nty a = { .snty_family = fam, .snty_port = htons(PORT) };
	struct pollfd pf[256];
	char buf[8192];
	int n = 0, i, fd, one = 1;
	ssize_t r;

	if (nty_enter_netns(netns) < 0)
		_exit(1);
	fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(fd, 256))
		_exit(2);
	pf[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
	fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)))
		_exit(3);
	pf[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
	for (;;) {
		if (poll(pf, n, 1000) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (!pf[i].revents)
				continue;
			if (i == 0) {
				fd = accept4(pf[0].fd, NULL, NULL, SOCK_NONBLOCK);
				if (fd < 0)
					continue;
				if (n < (int)ARRAY_SIZE(pf))
					pf[n++] = (struct pollfd){ .fd = fd,
								   .events = POLLIN };
				else
					close(fd);
			} else if (i == 1) {
				struct sockaddr_nty from;
				socklen_t fl = sizeof(from);

				r = recvfrom(pf[1].fd, buf, sizeof(buf), 0,
					     (struct sockaddr *)&from, &fl);
				if (r > 0)
					sendto(pf[1].fd, buf, r, MSG_DONTWAIT,
					       (struct sockaddr *)&from, fl);
			} else {
				r = recv(pf[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
				if (r > 0) {
					send(pf[i].fd, buf, r < 64 ? r : 64,
					     MSG_DONTWAIT | MSG_NOSIGNAL);
				} else if (r == 0 || errno != EAGAIN) {
					close(pf[i].fd);
					pf[i--] = pf[--n];
				}
			}
		}
	}
}

int main(int argc, char **argv)
{
	const char *ifname = "va", *peer_ns = "nty-b", *mac = "02:00:00:00:00:0b";
	long injected = 0, calls = 0, preps_failed = 0;
	int rounds = 1, opt, round, r, n, e;
	unsigned int i;
	pid_t resp;

	while ((opt = getopt(argc, argv, "r:i:m:P:")) != -1) {
		switch (opt) {
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'i':
			ifname = optarg;
			break;
		case 'm':
			mac = optarg;
			break;
		case 'P':
			peer_ns = optarg;
			break;
		default:
			fprintf(stderr, "usage: see the comment at the top of ntyfuzz_failnth.c\n");
			return 2;
		}
	}
	fam = nty_user_family();
	ifindex = if_nametoindex(ifname);
	if (nty_parse_mac(mac, peer_mac) || !ifindex) {
		fprintf(stderr, "ntyfuzz_failnth: no interface %s or bad MAC %s\n",
			ifname, mac);
		return 2;
	}
	own_ns = open("/proc/thread-self/ns/net", O_RDONLY);
	if (nty_ifinfo(ifname, &n, own_mac) || own_ns < 0 ||
	    nty_enter_netns(peer_ns) < 0) {
		fprintf(stderr, "ntyfuzz_failnth: no %s here or no namespace %s\n",
			ifname, peer_ns);
		return 2;
	}
	peer_ns_fd = open("/proc/thread-self/ns/net", O_RDONLY);
	/* The peer's end of the link (tools/selftests/topo.sh names it). */
	peer_ifindex = if_nametoindex("vb");
	if (setns(own_ns, CLONE_NEWNET) || peer_ns_fd < 0 || !peer_ifindex) {
		fprintf(stderr, "ntyfuzz_failnth: the peer namespace has no vb\n");
		return 2;
	}
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth_fd < 0) {
		perror("ntyfuzz_failnth: /proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION?)");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	resp = fork();
	if (resp == 0)
		responder(peer_ns);
	usleep(300000);

	for (round = 0; round < rounds; round++) {
		for (i = 0; i < ARRAY_SIZE(recipes); i++) {
			const struct recipe *rc = &recipes[i];
			long got = 0, enomem = 0, other = 0, ok = 0;
			int last_errno = 0;

			for (n = 1; n <= MAX_NTH; n++) {
				struct ctx c = { -1, -1, -1 };

				if (rc->prep(&c)) {
					preps_failed++;
					ctx_close(&c);
					usleep(100000);
					continue;
				}
				if (nth_set(n))
					return 2;
				errno = 0;
				r = rc->act(&c);
				e = errno;
				calls++;
				if (nth_get() != 0) {
					/* Fewer than n fault points: done. */
					nth_set(0);
					ctx_close(&c);
					break;
				}
				got++;
				if (r >= 0)
					ok++;
				else if (e == ENOMEM || e == ENOBUFS || e == EFAULT ||
					 e == ENFILE)
					enomem++;
				else
					other++;
				if (r < 0 && e != ENOMEM && e != ENOBUFS &&
				    e != EFAULT && e != ENFILE)
					last_errno = e;
				ctx_close(&c);
			}
			injected += got;
			if (round == 0)
				printf("%-26s %3ld faults: %ld ok, %ld nomem, %ld other%s%s\n",
				       rc->name, got, ok, enomem, other,
				       other ? ", last " : "",
				       other ? strerror(last_errno) : "");
		}
	}
	kill(resp, SIGKILL);
	waitpid(resp, NULL, 0);
	printf("ntyfuzz_failnth: %ld calls, %ld faults injected, ", calls,
	       injected);
	printf("%d rounds of %zu recipes, %ld preparations failed\n", rounds,
	       ARRAY_SIZE(recipes), preps_failed);
	return 0;
}

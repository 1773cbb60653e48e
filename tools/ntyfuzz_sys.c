// SPDX-License-Identifier: GPL-2.0
/*
 * ntyfuzz_sys: NTY's syscall fuzzer, after what syzkaller's description
 * of a socket family does.  Several processes, each with several threads
 * sharing one table of file descriptors, call every proto_ops entry of
 * both socket types (socket, bind, connect, listen, accept4, send, sendto,
 * sendmsg, sendmmsg, recv, recvfrom, recvmsg, recvmmsg, setsockopt and
 * getsockopt at SOL_SOCKET and SOL_NTY with boundary values, ioctl, poll,
 * epoll, shutdown, getsockname, getpeername, dup, close) in random order
 * with random and boundary arguments.  Every pointer argument may be bad
 * (-b 0 turns this off): NULL, an unmapped page, a read-only page for what
 * the kernel writes, a kernel-half or non-canonical address, a buffer
 * that runs into a guard page or across a page boundary, an iovec array
 * with bad entries among good ones, a bad msg_name, msg_control, optval,
 * optlen or addrlen; lengths at 0, 1, page boundaries, INT_MAX and
 * SIZE_MAX.  Each call that failed with EFAULT is counted: the kernel must
 * answer a bad pointer with an error and nothing else (its log decides).
 * A responder in the peer namespace
 * listens, accepts, echoes and closes, so that connections really form and
 * data really flows.  Nothing blocks: every socket is non-blocking and
 * every call that could wait is told not to.
 *
 *   ntyfuzz_sys [-n CALLS] [-p PROCS] [-t THREADS] [-s SEED] [-b 0|1] [-f]
 *               [-i IFACE] [-m PEER_MAC] [-P PEER_NETNS]
 *
 * With -f, one call in eight runs with /proc/thread-self/fail-nth set to
 * 1..8 (a kernel with CONFIG_FAULT_INJECTION): one of its allocations or
 * user copies fails, and the failures injected are counted.
 *
 * Prints the calls made, how many succeeded and how many met EFAULT;
 * exits 0 unless the
 * harness itself failed (the kernel's health is judged from its log).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/filter.h>
#include <linux/sockios.h>

#include "lib/nty_user.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NFD		64
#define PORT_BASE	7400
#define NPORTS		4

enum call {
	C_SOCKET, C_BIND, C_CONNECT, C_LISTEN, C_ACCEPT, C_SEND, C_SENDTO,
	C_SENDMSG, C_SENDMMSG, C_RECV, C_RECVMSG, C_RECVMMSG, C_SETSOCKOPT,
	C_GETSOCKOPT, C_IOCTL, C_POLL, C_EPOLL, C_SHUTDOWN, C_GETNAME, C_DUP,
	C_CLOSE, __C_MAX
};

static const char * const call_names[__C_MAX] = {
	"socket", "bind", "connect", "listen", "accept4", "send", "sendto",
	"sendmsg", "sendmmsg", "recv", "recvmsg", "recvmmsg", "setsockopt",
	"getsockopt", "ioctl", "poll", "epoll", "shutdown", "getname", "dup",
	"close",
};

/* Shared by every process: calls made, returned >= 0, failed EFAULT. */
struct stats {
	atomic_ulong made[__C_MAX];
	atomic_ulong ok[__C_MAX];
	atomic_ulong efault[__C_MAX];
	atomic_ulong injected;
	atomic_ulong reset_failed;
	atomic_long budget;
};

static struct stats *st;
static int fam, ifindex;
static unsigned char peer_mac[6];
static atomic_int fds[NFD];

/*
 * The memory bad pointers point into, made before the workers fork:
 * scratch is SCRATCH_PAGES read-write pages then a PROT_NONE guard page,
 * ro a read-only page, gone a page that was unmapped.  Every buffer a
 * worker hands the kernel lies in scratch, so that a length larger than
 * the buffer runs into the guard page, never into the fuzzer's own
 * stack.
 */
#define SCRATCH_PAGES	4
static int bad_mem = 1, fail_nth;
static long pg;
static char *scratch, *ro, *gone;

static int mem_init(void)
{
	char *m;

	pg = sysconf(_SC_PAGESIZE);
	m = mmap(NULL, (SCRATCH_PAGES + 3) * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	scratch = m;
	ro = m + (SCRATCH_PAGES + 1) * pg;
	gone = m + (SCRATCH_PAGES + 2) * pg;
	if (mprotect(m + SCRATCH_PAGES * pg, pg, PROT_NONE) ||
	    mprotect(ro, pg, PROT_READ) || munmap(gone, pg))
		return -1;
	return 0;
}

static unsigned int rnd(unsigned int *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* A value at or near a boundary, or any 32-bit value. */
static int boundary(unsigned int *s)
{
	static const int v[] = {
		0, 1, -1, 2, 4, 16, 255, 256, 1024, 4095, 4096, 65535, 65536,
		212992, 1 << 20, 1 << 30, 0x7fffffff, INT_MIN,
		NTY_HOLD_LOCK_MAX, NTY_HOLD_LOCK_MAX + 1,
	};

	if (rnd(s) % 4 == 0)
		return (int)rnd(s);
	return v[rnd(s) % ARRAY_SIZE(v)];
}

/* A length at a boundary: 0, 1, around a page, INT_MAX, SIZE_MAX. */
static size_t bad_len(unsigned int *s)
{
	static const size_t v[] = {
		0, 1, 4095, 4096, 4097, 8192, INT_MAX, (size_t)INT_MAX + 1,
		UINT_MAX, SIZE_MAX / 2, SIZE_MAX,
	};

	return v[rnd(s) % ARRAY_SIZE(v)];
}

/*
 * A buffer of @*len bytes for the kernel to read or write: a good one in
 * scratch three times in four, or (with -b) a bad pointer, with a bad
 * length now and then.
 */
static void *buffer(unsigned int *s, size_t *len)
{
	uintptr_t off = rnd(s) % 64;

	if (*len > (size_t)(SCRATCH_PAGES * pg - 64))
		*len = SCRATCH_PAGES * pg - 64;
	if (!bad_mem || rnd(s) % 4)
		return scratch + off;
	if (rnd(s) % 2)
		*len = bad_len(s);
	switch (rnd(s) % 8) {
	case 0:
		return NULL;
	case 1:
		return gone + off;
	case 2:
		return ro + off;
	case 3:
		return (void *)(0xffff888000000000UL + off);	/* kernel half */
	case 4:
		return (void *)(0x8000000000000000UL + off);	/* non-canonical */
	case 5:
		/* Runs into the guard page after a few good bytes. */
		return scratch + SCRATCH_PAGES * pg - 1 - off;
	case 6:
		/* Straddles a page boundary, both pages good. */
		return scratch + pg - 1 - off;
	default:
		return (void *)(uintptr_t)(rnd(s) & 0xfffff000U);	/* below 4 GiB */
	}
}

/* A pointer to a small object (an address, an int, a length) or a bad one. */
static void *object(unsigned int *s, void *good)
{
	size_t len = 0;

	if (!bad_mem || rnd(s) % 8)
		return good;
	return buffer(s, &len);
}

/*
 * A pointer to a structure that itself holds pointers (an iovec array, a
 * msghdr, an mmsghdr vector), or a bad one.  Never into scratch, whose
 * bytes received data may have made into pointers to the fuzzer's own
 * memory: bad here is NULL, the read-only page (all zero), its last bytes
 * running into the unmapped page, a kernel-half or a non-canonical
 * address.
 */
static void *struct_ptr(unsigned int *s, void *good)
{
	if (!bad_mem || rnd(s) % 8)
		return good;
	switch (rnd(s) % 5) {
	case 0:
		return NULL;
	case 1:
		return ro;
	case 2:
		return ro + pg - 8;
	case 3:
		return (void *)0xffff888000000000UL;
	default:
		return (void *)0x8000000000000000UL;
	}
}

/*
 * An iovec array of 1 to 4 entries over @total bytes of scratch, some of
 * them bad; now and then the array pointer itself is bad.
 */
static struct iovec *iovecs(unsigned int *s, struct iovec *iov, size_t total,
			    size_t *n)
{
	size_t i, len;

	*n = 1 + rnd(s) % 4;
	for (i = 0; i < *n; i++) {
		len = total / *n;
		iov[i].iov_base = buffer(s, &len);
		iov[i].iov_len = len;
	}
	if (bad_mem && rnd(s) % 32 == 0)
		*n = rnd(s) % 2 ? 1025 : bad_len(s);	/* past UIO_MAXIOV */
	return struct_ptr(s, iov);
}

static int pick_fd(unsigned int *s)
{
	return atomic_load(&fds[rnd(s) % NFD]);
}

static void put_fd(unsigned int *s, int fd)
{
	int old = atomic_exchange(&fds[rnd(s) % NFD], fd);

	if (old >= 0)
		close(old);
}

static void fill_addr(unsigned int *s, struct sockaddr_nty *a, socklen_t *len)
{
	memset(a, 0, sizeof(*a));
	a->snty_family = rnd(s) % 16 ? fam : (int)(rnd(s) % 64);
	a->snty_port = htons(rnd(s) % 3 ? PORT_BASE + rnd(s) % NPORTS :
			     rnd(s) % 4 ? 0 : rnd(s) & 0xffff);
	a->snty_ifindex = rnd(s) % 8 ? ifindex : (int)rnd(s) % 8;
	if (rnd(s) % 8)
		memcpy(a->snty_addr, peer_mac, 6);
	else if (rnd(s) % 2)
		memset(a->snty_addr, 0xff, 6);
	else
		for (int i = 0; i < 6; i++)
			a->snty_addr[i] = rnd(s);
	if (rnd(s) % 32 == 0)
		a->snty_zero[0] = 1;
	*len = rnd(s) % 16 ? sizeof(*a) : rnd(s) % (sizeof(*a) + 8);
}

static const int sol_socket_opts[] = {
	SO_RCVBUF, SO_SNDBUF, SO_RCVBUFFORCE, SO_SNDBUFFORCE, SO_REUSEADDR,
	SO_REUSEPORT, SO_BROADCAST, SO_LINGER, SO_RCVLOWAT, SO_SNDLOWAT,
	SO_RCVTIMEO_OLD, SO_SNDTIMEO_OLD, SO_PRIORITY, SO_MARK, SO_KEEPALIVE,
	SO_BINDTODEVICE, SO_BINDTOIFINDEX, SO_TIMESTAMP, SO_TIMESTAMPNS,
	SO_RXQ_OVFL, SO_BUSY_POLL, SO_PEEK_OFF, SO_ZEROCOPY, SO_ATTACH_FILTER,
	SO_DETACH_FILTER, SO_LOCK_FILTER, SO_INCOMING_CPU, SO_RESERVE_MEM,
	SO_TXREHASH, SO_ERROR, SO_TYPE, SO_ACCEPTCONN, SO_DOMAIN, SO_PROTOCOL,
	SO_PEERCRED, SO_MEMINFO, SO_COOKIE, SO_OOBINLINE, SO_DONTROUTE,
};

static int do_sockopt(unsigned int *s, int fd, int set)
{
	union {
		int i;
		struct linger l;
		struct timeval tv;
		struct sock_fprog prog;
		char b[64];
	} v;
	static struct sock_filter accept_all[] = { { 0x06, 0, 0, 0xffff } };
	socklen_t len = sizeof(int);
	int level = SOL_SOCKET, opt, r;

	memset(&v, 0, sizeof(v));
	switch (rnd(s) % 4) {
	case 0:
		level = SOL_NTY;
		opt = rnd(s) % 4;	/* 0 and 3 are no option */
		break;
	case 1:
		level = rnd(s) % 2 ? (int)rnd(s) : 6;	/* SOL_TCP, or anything */
		opt = boundary(s);
		break;
	default:
		opt = sol_socket_opts[rnd(s) % ARRAY_SIZE(sol_socket_opts)];
	}
	v.i = boundary(s);
	if (level == SOL_NTY && opt == NTY_HOLD_LOCK)
		v.i = rnd(s) % 16 ? (int)(rnd(s) % 3) : v.i;	/* rarely long */
	if (opt == SO_LINGER) {
		v.l.l_onoff = rnd(s) % 2;
		v.l.l_linger = rnd(s) % 2;
		len = sizeof(v.l);
	} else if (opt == SO_RCVTIMEO_OLD || opt == SO_SNDTIMEO_OLD) {
		v.tv.tv_usec = rnd(s) % 2000;
		len = sizeof(v.tv);
	} else if (opt == SO_ATTACH_FILTER) {
		v.prog.len = rnd(s) % 8 ? 1 : (unsigned short)boundary(s);
		v.prog.filter = struct_ptr(s, accept_all);
		len = sizeof(v.prog);
	} else if (opt == SO_BINDTODEVICE) {
		snprintf(v.b, sizeof(v.b), "%s", rnd(s) % 2 ? "va" : "lo");
		len = strlen(v.b);
	}
	if (rnd(s) % 16 == 0)
		len = rnd(s) % sizeof(v);
	if (set) {
		r = setsockopt(fd, level, opt, object(s, &v), len);
	} else {
		len = rnd(s) % 8 ? sizeof(v) : rnd(s) % 8;
		r = getsockopt(fd, level, opt, object(s, &v), object(s, &len));
	}
	return r;
}

static long one_call(unsigned int *s, int ep)
{
	struct sockaddr_nty a;
	socklen_t alen;
	struct iovec iov[4];
	struct msghdr msg = { 0 };
	struct mmsghdr mm[4];
	struct epoll_event ev[4];
	struct pollfd pf;
	enum call c = rnd(s) % __C_MAX;
	int fd = pick_fd(s), r = -1, i, n;
	size_t len, niov;
	char *buf;

	atomic_fetch_add(&st->made[c], 1);
	switch (c) {
	case C_SOCKET:
		/* Now and then another family: the calls must tell them apart. */
		r = socket(rnd(s) % 16 ? fam : rnd(s) % 2 ? AF_INET : AF_UNIX,
			   (rnd(s) % 2 ? SOCK_STREAM : rnd(s) % 8 ? SOCK_DGRAM :
			    rnd(s) % 8) | SOCK_NONBLOCK,
			   rnd(s) % 16 ? 0 : (int)rnd(s) % 4);
		if (r >= 0) {
			put_fd(s, r);
			if (rnd(s) % 2) {
				struct epoll_event e = {
					.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP,
				};

				epoll_ctl(ep, EPOLL_CTL_ADD, r, &e);
			}
		}
		break;
	case C_BIND:
		fill_addr(s, &a, &alen);
		if (rnd(s) % 2)
			a.snty_ifindex = rnd(s) % 2 ? 0 : ifindex;
		r = bind(fd, object(s, &a), alen);
		break;
	case C_CONNECT:
		fill_addr(s, &a, &alen);
		if (rnd(s) % 16 == 0)
			a.snty_family = AF_UNSPEC;
		r = connect(fd, object(s, &a), alen);
		break;
	case C_LISTEN:
		r = listen(fd, boundary(s));
		break;
	case C_ACCEPT:
		alen = rnd(s) % 2 ? sizeof(a) : rnd(s) % 8;
		r = accept4(fd, rnd(s) % 2 ? object(s, &a) : NULL,
			    object(s, &alen), SOCK_NONBLOCK);
		if (r >= 0)
			put_fd(s, r);
		break;
	case C_SEND:
	case C_SENDTO:
	case C_SENDMSG:
		len = rnd(s) % 8 ? rnd(s) % 1600 : rnd(s) % 2048;
		buf = buffer(s, &len);
		fill_addr(s, &a, &alen);
		if (c == C_SEND) {
			r = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL |
				 (rnd(s) % 16 ? 0 : MSG_OOB));
		} else if (c == C_SENDTO) {
			r = sendto(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL,
				   object(s, &a), alen);
		} else {
			msg.msg_iov = iovecs(s, iov, len, &niov);
			msg.msg_iovlen = niov;
			msg.msg_name = rnd(s) % 2 ? object(s, &a) : NULL;
			msg.msg_namelen = bad_mem && rnd(s) % 16 == 0 ?
					  (socklen_t)bad_len(s) : alen;
			if (bad_mem && rnd(s) % 8 == 0) {
				len = rnd(s) % 256;
				msg.msg_control = buffer(s, &len);
				msg.msg_controllen = len;
			}
			r = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
		}
		break;
	case C_SENDMMSG:
		n = 1 + rnd(s) % 4;
		for (i = 0; i < n; i++) {
			len = 64;
			memset(&mm[i], 0, sizeof(mm[i]));
			iov[i].iov_base = buffer(s, &len);
			iov[i].iov_len = len;
			mm[i].msg_hdr.msg_iov = struct_ptr(s, &iov[i]);
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		r = sendmmsg(fd, struct_ptr(s, mm), n, MSG_DONTWAIT | MSG_NOSIGNAL);
		break;
	case C_RECV:
		len = rnd(s) % 2048;
		buf = buffer(s, &len);
		r = recv(fd, buf, len, MSG_DONTWAIT |
			 (rnd(s) % 4 ? 0 : MSG_PEEK) |
			 (rnd(s) % 8 ? 0 : MSG_TRUNC) |
			 (rnd(s) % 16 ? 0 : MSG_WAITALL) |
			 (rnd(s) % 16 ? 0 : MSG_ERRQUEUE));
		break;
	case C_RECVMSG:
		len = rnd(s) % 2048;
		msg.msg_iov = iovecs(s, iov, len, &niov);
		msg.msg_iovlen = niov;
		msg.msg_name = rnd(s) % 2 ? object(s, &a) : NULL;
		msg.msg_namelen = rnd(s) % 2 ? sizeof(a) : rnd(s) % 8;
		len = rnd(s) % 128;
		msg.msg_control = rnd(s) % 2 ? buffer(s, &len) : NULL;
		msg.msg_controllen = len;
		r = recvmsg(fd, struct_ptr(s, &msg),
			    MSG_DONTWAIT | (rnd(s) % 4 ? 0 : MSG_PEEK));
		break;
	case C_RECVMMSG: {
		struct timespec ts = { 0, 1000 };

		n = 1 + rnd(s) % 4;
		for (i = 0; i < n; i++) {
			len = 256;
			memset(&mm[i], 0, sizeof(mm[i]));
			iov[i].iov_base = buffer(s, &len);
			iov[i].iov_len = len;
			mm[i].msg_hdr.msg_iov = struct_ptr(s, &iov[i]);
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		r = recvmmsg(fd, struct_ptr(s, mm), n, MSG_DONTWAIT,
			     object(s, &ts));
		break;
	}
	case C_SETSOCKOPT:
	case C_GETSOCKOPT:
		r = do_sockopt(s, fd, c == C_SETSOCKOPT);
		break;
	case C_IOCTL: {
		static const unsigned long cmds[] = {
			SIOCINQ, SIOCOUTQ, SIOCOUTQNSD, FIONBIO, SIOCGSTAMP_OLD,
			SIOCGIFINDEX, 0x89ff,
		};
		int v = 0;
		struct ifreq ifr = { 0 };
		unsigned long cmd = cmds[rnd(s) % ARRAY_SIZE(cmds)];

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "va");
		/* FIONBIO only ever to non-blocking: nothing may wait. */
		v = 1;
		r = ioctl(fd, cmd, cmd == SIOCGIFINDEX ? object(s, &ifr) :
			  cmd == FIONBIO ? (void *)&v : object(s, &v));
		break;
	}
	case C_POLL:
		pf.fd = fd;
		pf.events = POLLIN | POLLOUT | POLLPRI | POLLRDHUP;
		r = poll(&pf, 1, rnd(s) % 3);
		break;
	case C_EPOLL:
		r = epoll_wait(ep, ev, 4, 0);
		break;
	case C_SHUTDOWN:
		r = shutdown(fd, rnd(s) % 4);
		break;
	case C_GETNAME:
		alen = rnd(s) % 2 ? sizeof(a) : rnd(s) % 8;
		r = rnd(s) % 2 ?
		    getsockname(fd, object(s, &a), object(s, &alen)) :
		    getpeername(fd, object(s, &a), object(s, &alen));
		break;
	case C_DUP:
		r = fd >= 0 ? dup(fd) : -1;
		if (r >= 0)
			put_fd(s, r);
		break;
	case C_CLOSE:
		put_fd(s, -1);
		r = 0;
		break;
	case __C_MAX:
		break;
	}
	if (r >= 0)
		atomic_fetch_add(&st->ok[c], 1);
	else if (errno == EFAULT)
		atomic_fetch_add(&st->efault[c], 1);
	return r;
}

static void *worker(void *arg)
{
	unsigned int s = (unsigned int)(uintptr_t)arg | 1;
	int ep = epoll_create1(0), nth = -1, armed;
	char b[16];

	if (fail_nth)
		nth = open("/proc/thread-self/fail-nth", O_RDWR);
	while (atomic_fetch_sub(&st->budget, 1) > 0) {
		armed = nth >= 0 && rnd(&s) % 8 == 0;
		if (armed) {
			b[0] = '1' + rnd(&s) % 8;
			armed = pwrite(nth, b, 1, 0) == 1;
		}
		one_call(&s, ep);
		if (armed) {
			memset(b, 0, sizeof(b));
			if (pread(nth, b, sizeof(b) - 1, 0) > 0 && atoi(b) == 0)
				atomic_fetch_add(&st->injected, 1);
			if (pwrite(nth, "0", 1, 0) != 1)
				atomic_fetch_add(&st->reset_failed, 1);
		}
	}
	if (nth >= 0)
		close(nth);
	close(ep);
	return NULL;
}

/* The peer: listeners and datagram sockets on every port, echoing. */
static void responder(const char *netns)
{
	char buf[4096];
	struct pollfd pf[NFD];
	int n = 0, i, fd, one = 1;
	ssize_t r;

	if (nty_enter_netns(netns) < 0)
		_exit(1);
	for (i = 0; i < NPORTS; i++) {
		struct sockaddr_nty a = { .snty_family = fam,
					  .snty_port = htons(PORT_BASE + i) };

		fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 64))
			_exit(2);
		pf[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
		fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
			_exit(3);
		pf[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
	}
	for (;;) {
		if (poll(pf, n, 1000) < 0)
			continue;
		for (i = 0; i < n; i++) {
			if (!pf[i].revents)
				continue;
			if (i < 2 * NPORTS && i % 2 == 0) {
				fd = accept4(pf[i].fd, NULL, NULL, SOCK_NONBLOCK);
				if (fd < 0)
					continue;
				if (n < NFD) {
					pf[n++] = (struct pollfd){ .fd = fd,
								   .events = POLLIN };
				} else {
					close(fd);
				}
				continue;
			}
			if (i < 2 * NPORTS) {
				struct sockaddr_nty from;
				socklen_t fl = sizeof(from);

				r = recvfrom(pf[i].fd, buf, sizeof(buf), 0,
					     (struct sockaddr *)&from, &fl);
				if (r > 0)
					sendto(pf[i].fd, buf, r, MSG_DONTWAIT,
					       (struct sockaddr *)&from, fl);
				continue;
			}
			r = recv(pf[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (r > 0 && rand() % 8) {
				send(pf[i].fd, buf, r, MSG_DONTWAIT | MSG_NOSIGNAL);
			} else if (r == 0 || (r < 0 && errno != EAGAIN) ||
				   rand() % 64 == 0) {
				close(pf[i].fd);
				pf[i] = pf[--n];
			}
		}
	}
}

int main(int argc, char **argv)
{
	long calls = 100000, made = 0, ok = 0, efault = 0, dead = 0;
	int procs = 2, threads = 2, seed = 1, i, j, opt;
	const char *ifname = "va", *peer_ns = "nty-b", *mac = "02:00:00:00:00:0b";
	pthread_t th[16];
	pid_t resp, pids[16];

	while ((opt = getopt(argc, argv, "n:p:t:s:b:fi:m:P:")) != -1) {
		switch (opt) {
		case 'n':
			calls = atol(optarg);
			break;
		case 'p':
			procs = atoi(optarg);
			break;
		case 't':
			threads = atoi(optarg);
			break;
		case 's':
			seed = atoi(optarg);
			break;
		case 'b':
			bad_mem = atoi(optarg);
			break;
		case 'f':
			fail_nth = 1;
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
			fprintf(stderr, "usage: see the comment at the top of ntyfuzz_sys.c\n");
			return 2;
		}
	}
	procs = procs < 1 ? 1 : procs > 16 ? 16 : procs;
	threads = threads < 1 ? 1 : threads > 16 ? 16 : threads;
	fam = nty_user_family();
	ifindex = if_nametoindex(ifname);
	if (nty_parse_mac(mac, peer_mac) || !ifindex) {
		fprintf(stderr, "ntyfuzz_sys: no interface %s or bad MAC %s\n",
			ifname, mac);
		return 2;
	}
	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (st == MAP_FAILED || mem_init())
		return 2;
	atomic_store(&st->budget, calls);
	signal(SIGPIPE, SIG_IGN);

	resp = fork();
	if (resp == 0)
		responder(peer_ns);
	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			for (j = 0; j < NFD; j++)
				atomic_store(&fds[j], -1);
			for (j = 0; j < threads; j++)
				pthread_create(&th[j], NULL, worker,
					       (void *)(uintptr_t)(seed * 7919 + i * 131 + j));
			for (j = 0; j < threads; j++)
				pthread_join(th[j], NULL);
			_exit(0);
		}
	}
	for (i = 0; i < procs; i++) {
		int status;

		if (waitpid(pids[i], &status, 0) != pids[i])
			return 2;
		/* The kernel wrote where it must not, or the harness erred. */
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "ntyfuzz_sys: worker %d %s %d\n", i,
				WIFSIGNALED(status) ? "killed by signal" : "exited",
				WIFSIGNALED(status) ? WTERMSIG(status) :
						      WEXITSTATUS(status));
			dead++;
		}
	}
	kill(resp, SIGKILL);
	waitpid(resp, NULL, 0);

	for (i = 0; i < __C_MAX; i++) {
		printf("%-10s %8lu calls %8lu ok %8lu EFAULT\n", call_names[i],
		       atomic_load(&st->made[i]), atomic_load(&st->ok[i]),
		       atomic_load(&st->efault[i]));
		made += atomic_load(&st->made[i]);
		ok += atomic_load(&st->ok[i]);
		efault += atomic_load(&st->efault[i]);
	}
	if (atomic_load(&st->reset_failed))
		fprintf(stderr, "ntyfuzz_sys: fail-nth could not be reset %lu times\n",
			atomic_load(&st->reset_failed));
	printf("ntyfuzz_sys: %ld calls, %ld succeeded, %ld EFAULT (bad memory %s), ",
	       made, ok, efault, bad_mem ? "on" : "off");
	printf("%lu faults injected, %d processes x %d threads, seed %d\n",
	       atomic_load(&st->injected), procs, threads, seed);
	return dead ? 1 : 0;
}

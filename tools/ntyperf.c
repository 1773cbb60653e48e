// SPDX-License-Identifier: GPL-2.0
/*
 * ntyperf: one tool, one method, for NTY and its peers.
 *
 *   ntyperf -p PROTO -m MODE [-s SIZE] [-t SECS] [-w SECS] [-r N]
 *           [-n SOCKETS] [-c CONNS] [-F] [-j] [-l LABEL]
 *           [--client-ns NS] [--server-ns NS] [-i CLIENT_IF:SERVER_IF]
 *           [--remote HOST:PORT] [--server-ip ADDR]
 *   ntyperf --serve PORT [-i :SERVER_IF]
 *
 * PROTO: nty-dgram, nty-stream, udp, tcp, packet (an AF_PACKET receiver:
 * the least work a kernel does to hand a frame to user space).
 * MODE:
 *   rate  the client sends as fast as it can; the server counts what it
 *         receives (frames/s and bytes/s; for streams, bytes/s)
 *   rr    request/response of SIZE bytes: transactions/s and latency
 *         percentiles p50, p99, p99.9 from a histogram
 *   crr   connect, one byte each way, close: connections/s (streams)
 *   mem   CONNS idle established connections: memory per connection
 *         from /proc/meminfo (Slab) before and after (streams).  With -F
 *         the readers stall: each client writes until its socket takes no
 *         more, the protocol's pages (sockstat's mem) are read, then every
 *         client closes with its data unsent (an orphan storm) and the
 *         orphans are counted a second later
 *
 * The server runs in a child process in --server-ns (default nty-b) on
 * CPU 1, the client in --client-ns (default nty-a) on CPU 0, over the
 * interfaces va and vb (MACs for NTY and AF_PACKET, 10.0.0.1 and
 * 10.0.0.2 for UDP and TCP).  Each repeat warms up for -w seconds and
 * measures for -t; the median of the repeats is reported, as a table row
 * or (-j) a JSON object.  The server also reports its CPU time, context
 * switches per receive call and the system's softirq time.
 *
 * Between two machines (rate and rr): one runs `ntyperf --serve PORT`,
 * which takes each measurement's options over a TCP connection to PORT
 * (a control link; make bench uses the other wire), runs its server in
 * its own namespace on CPU 1 and answers with its MAC and its reports;
 * the other runs the client with --remote HOST:PORT in its own
 * namespace, over -i's client interface, to --server-ip (default
 * 10.0.0.2) for UDP and TCP.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "lib/nty_user.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PORT		9000
#define EXTRA_PORT0	1024
#define RAW_ETHERTYPE	0x88B6	/* IEEE local experimental 2: not NTY's */
#define MAX_REPEATS	15
#define HIST_SUB	64	/* log-linear histogram: 64 buckets per octave */
#define HIST_BUCKETS	(64 * HIST_SUB)

enum proto { P_NTY_DGRAM, P_NTY_STREAM, P_UDP, P_TCP, P_PACKET };

enum mode { M_RATE, M_RR, M_CRR, M_MEM };

static const char * const proto_names[] = {
	"nty-dgram", "nty-stream", "udp", "tcp", "packet",
};

static const char * const mode_names[] = { "rate", "rr", "crr", "mem" };

static struct opts {
	enum proto proto;
	enum mode mode;
	int size, secs, warm, repeats, extra, conns, json, fill;
	const char *label, *cns, *sns, *cif, *sif, *sip, *remote;
} o = {
	.size = 64, .secs = 2, .warm = 1, .repeats = 3, .conns = 1000,
	.cns = "nty-a", .sns = "nty-b", .cif = "va", .sif = "vb",
	.sip = "10.0.0.2",
};

/* What the client of a remote server (--serve) sends it first. */
struct remote_opts {
	int32_t proto, mode, size, secs, warm, repeats;
};

/* One repeat's figures, as the server and client measured them. */
struct result {
	double frames, bytes, secs;		/* rate */
	double trans, p50, p99, p999;		/* rr (ns) */
	double cpu_s, softirq_s, csw, recvs;	/* server side */
	double mem_per_conn, slab_per_conn;	/* mem */
	double conns;				/* mem: still connected */
	double written, pages, orphans;		/* mem -F */
};

static int fam;
static unsigned char cmac[6], smac[6];
static int cifindex, sifindex;

static void die(const char *what)
{
	fprintf(stderr, "ntyperf: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void enter_ns(const char *name)
{
	if (nty_enter_netns(name) < 0)
		die(name);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int is_stream(void)
{
	return o.proto == P_NTY_STREAM || o.proto == P_TCP;
}

static socklen_t server_addr(struct sockaddr_storage *ss, int port)
{
	memset(ss, 0, sizeof(*ss));
	if (o.proto == P_UDP || o.proto == P_TCP) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		if (inet_pton(AF_INET, o.sip, &in->sin_addr) != 1)
			die("--server-ip");
		return sizeof(*in);
	}
	if (o.proto == P_PACKET) {
		struct sockaddr_ll *ll = (struct sockaddr_ll *)ss;

		ll->sll_family = AF_PACKET;
		ll->sll_protocol = htons(RAW_ETHERTYPE);
		ll->sll_ifindex = cifindex;
		ll->sll_halen = 6;
		memcpy(ll->sll_addr, smac, 6);
		return sizeof(*ll);
	}
	struct sockaddr_nty *a = (struct sockaddr_nty *)ss;

	a->snty_family = fam;
	a->snty_port = htons(port);
	a->snty_ifindex = cifindex;
	memcpy(a->snty_addr, smac, 6);
	return sizeof(*a);
}

static int new_socket(void)
{
	int one = 1, fd;

	switch (o.proto) {
	case P_NTY_DGRAM:
		return socket(fam, SOCK_DGRAM, 0);
	case P_NTY_STREAM:
		return socket(fam, SOCK_STREAM, 0);
	case P_UDP:
		return socket(AF_INET, SOCK_DGRAM, 0);
	case P_TCP:
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd >= 0) {
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				   sizeof(one));
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				   sizeof(one));
		}
		return fd;
	case P_PACKET:
		return socket(AF_PACKET, SOCK_DGRAM, htons(RAW_ETHERTYPE));
	}
	return -1;
}

/* The server's listening or receiving socket. */
static int server_socket(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = new_socket();

	if (fd < 0)
		die("socket");
	if (o.proto == P_PACKET) {
		struct sockaddr_ll ll = {
			.sll_family = AF_PACKET,
			.sll_protocol = htons(RAW_ETHERTYPE),
			.sll_ifindex = sifindex,
		};

		if (bind(fd, (struct sockaddr *)&ll, sizeof(ll)))
			die("bind packet");
		return fd;
	}
	/*
	 * As a TCP server does: the last run's connections may still hold
	 * the port (TIME_WAIT lasts a second), and a fast kernel starts the
	 * next run sooner than that.
	 */
	if (o.proto == P_NTY_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	len = server_addr(&ss, PORT);
	if (o.proto == P_NTY_DGRAM || o.proto == P_NTY_STREAM)
		((struct sockaddr_nty *)&ss)->snty_ifindex = 0;
	else
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = INADDR_ANY;
	if (bind(fd, (struct sockaddr *)&ss, len))
		die("bind");
	if (is_stream() && listen(fd, 4096))
		die("listen");
	return fd;
}

/*
 * W4: @n more NTY datagram sockets in the server's namespace, bound to
 * other ports (past 64,000 on the loopback interface as well), so that
 * demux has them in its tables.
 */
static void extra_sockets(int n)
{
	struct rlimit rl = { n + 1024, n + 1024 };
	struct sockaddr_nty a = { .snty_family = fam };
	int i, port = EXTRA_PORT0, ifindex = 0, fd, one = 1;

	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("RLIMIT_NOFILE");
	for (i = 0; i < n; i++) {
		if (++port == PORT)
			port++;
		if (port > 65535) {
			port = EXTRA_PORT0 + 1;
			ifindex = 1;	/* lo: the same ports once more */
		}
		fd = socket(fam, SOCK_DGRAM, 0);
		if (fd < 0)
			die("extra socket");
		/* Bound to lo and to every interface at once: reuse. */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		a.snty_port = htons(port);
		a.snty_ifindex = ifindex;
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
			die("extra bind");
	}
}

/* Server-side CPU and context switches, and the system's softirq time. */
struct usage {
	double cpu, softirq, csw;
};

static void usage_now(struct usage *u)
{
	struct rusage ru;
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");

	getrusage(RUSAGE_SELF, &ru);
	u->cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		 ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	u->csw = ru.ru_nvcsw + ru.ru_nivcsw;
	u->softirq = 0;
	if (f) {
		if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &v[0],
			   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) == 7)
			u->softirq = v[6] / (double)sysconf(_SC_CLK_TCK);
		fclose(f);
	}
}

/*
 * Server, rate mode: count what arrives after the warm-up until a
 * second of silence; one report per repeat.
 */
static void serve_rate(int fd, int out)
{
	static char buf[65536];
	struct usage u0, u1;
	struct result r;
	double t, t0 = 0, tstart = 0, tlast = 0;
	int rep, c = fd;
	ssize_t n;

	if (is_stream()) {
		c = accept(fd, NULL, NULL);
		if (c < 0)
			die("accept");
	}
	for (rep = 0; rep < o.repeats; rep++) {
		memset(&r, 0, sizeof(r));
		t0 = 0;
		for (;;) {
			struct pollfd p = { .fd = c, .events = POLLIN };
			int wait = 30000;

			/*
			 * A datagram sender says nothing when it is done: the
			 * run ends with a silence, of a second while the
			 * client may still be sending, of 100 ms once its
			 * time is up (what is still in flight is queued by
			 * then, and the reader drains it first).
			 */
			if (t0)
				wait = now() < t0 + o.warm + o.secs ? 1000 : 100;
			if (poll(&p, 1, wait) != 1)
				break;
			n = recv(c, buf, sizeof(buf), 0);
			if (n <= 0)
				break;
			t = now();
			if (!t0) {
				t0 = t;
				tstart = t + o.warm;
			}
			if (t < tstart)
				continue;
			if (!r.frames)
				usage_now(&u0);
			r.frames++;
			r.recvs++;
			r.bytes += n;
			tlast = t;
		}
		usage_now(&u1);
		r.secs = tlast - tstart;
		r.cpu_s = u1.cpu - u0.cpu;
		r.softirq_s = u1.softirq - u0.softirq;
		r.csw = u1.csw - u0.csw;
		if (write(out, &r, sizeof(r)) != sizeof(r))
			die("report");
	}
}

/* Server, rr and crr: echo. */
static void serve_echo(int fd, int out)
{
	static char buf[65536];
	struct sockaddr_storage from;
	struct usage u0, u1;
	struct result r = { 0 };
	socklen_t alen;
	ssize_t n;
	int c;

	usage_now(&u0);
	if (o.mode == M_CRR) {
		while ((c = accept(fd, NULL, NULL)) >= 0) {
			if (recv(c, buf, 1, 0) == 1)
				send(c, buf, 1, MSG_NOSIGNAL);
			if (recv(c, buf, 1, 0) < 0)	/* the client's FIN */
				break;
			close(c);
		}
		return;
	}
	c = fd;
	if (is_stream()) {
		c = accept(fd, NULL, NULL);
		if (c < 0)
			die("accept");
	}
	for (;;) {
		alen = sizeof(from);
		n = recvfrom(c, buf, o.size, MSG_WAITALL,
			     (struct sockaddr *)&from, &alen);
		if (n <= 0)
			break;
		r.recvs++;
		if (buf[0] == 'R') {	/* a repeat ends: report the usage */
			usage_now(&u1);
			r.cpu_s = u1.cpu - u0.cpu;
			r.softirq_s = u1.softirq - u0.softirq;
			r.csw = u1.csw - u0.csw;
			if (write(out, &r, sizeof(r)) != sizeof(r))
				die("report");
			memset(&r, 0, sizeof(r));
			usage_now(&u0);
		}
		if (is_stream())
			n = send(c, buf, n, MSG_NOSIGNAL);
		else
			n = sendto(c, buf, n, 0, (struct sockaddr *)&from,
				   alen);
		if (n < 0)
			break;
	}
}

/* Server, mem: accept and keep CONNS connections. */
static void serve_mem(int fd, int out)
{
	struct rlimit rl = { o.conns + 1024, o.conns + 1024 };
	char b;
	int i;

	setrlimit(RLIMIT_NOFILE, &rl);
	for (i = 0; i < o.conns; i++)
		if (accept(fd, NULL, NULL) < 0)
			die("accept");
	/* Hold them until the client says it has measured. */
	if (read(out, &b, 1) < 0)
		die("sync");
}

/* All of @len bytes from @fd (a pipe, or the control link of --remote). */
static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

static int client_connect(void)
{
	struct sockaddr_storage ss;
	socklen_t len = server_addr(&ss, PORT);
	int fd = new_socket();

	if (fd < 0)
		die("socket");
	if (is_stream() || o.proto == P_UDP || o.proto == P_NTY_DGRAM)
		if (connect(fd, (struct sockaddr *)&ss, len))
			die("connect");
	return fd;
}

static void client_rate(int in, struct result *res)
{
	static char buf[65536];
	struct sockaddr_storage ss;
	socklen_t len = server_addr(&ss, PORT);
	double end;
	int rep, fd = client_connect();

	memset(buf, 'x', sizeof(buf));
	for (rep = 0; rep < o.repeats; rep++) {
		end = now() + o.warm + o.secs;
		while (now() < end) {
			int i;

			for (i = 0; i < 64; i++) {
				if (o.proto == P_PACKET)
					sendto(fd, buf, o.size, 0,
					       (struct sockaddr *)&ss, len);
				else if (send(fd, buf, o.size, 0) < 0 &&
					 errno != ENOBUFS && errno != EAGAIN)
					die("send");
			}
		}
		if (read_full(in, &res[rep], sizeof(*res)))
			die("server report");
	}
	close(fd);
}

/* Log-linear histogram of nanoseconds. */
static int hist_bucket(uint64_t ns)
{
	int oct = 63 - __builtin_clzll(ns | 1);

	if (oct < 6)
		return ns;
	return oct * HIST_SUB + ((ns >> (oct - 6)) & (HIST_SUB - 1));
}

static double hist_value(int b)
{
	int oct = b / HIST_SUB;

	if (oct < 6)
		return b;
	return (double)((uint64_t)(HIST_SUB + b % HIST_SUB) << (oct - 6));
}

static double hist_pct(const uint64_t *h, uint64_t total, double q)
{
	uint64_t want = (uint64_t)(q * total), seen = 0;
	int b;

	for (b = 0; b < HIST_BUCKETS; b++) {
		seen += h[b];
		if (seen > want)
			return hist_value(b);
	}
	return 0;
}

static void client_rr(int in, struct result *res)
{
	static uint64_t hist[HIST_BUCKETS];
	static char buf[65536];
	double t0, t1, end;
	uint64_t total;
	int rep, fd = client_connect();
	ssize_t n;

	memset(buf, 'x', sizeof(buf));
	for (rep = 0; rep < o.repeats; rep++) {
		memset(hist, 0, sizeof(hist));
		total = 0;
		end = now() + o.warm;
		while (now() < end) {
			buf[0] = 'x';
			send(fd, buf, o.size, 0);
			recv(fd, buf, o.size, MSG_WAITALL);
		}
		t0 = now();
		end = t0 + o.secs;
		for (t1 = t0; t1 < end;) {
			double a = t1;

			buf[0] = 'x';
			if (send(fd, buf, o.size, 0) != o.size)
				die("send");
			n = recv(fd, buf, o.size, MSG_WAITALL);
			if (n != o.size)
				die("recv");
			t1 = now();
			hist[hist_bucket((uint64_t)((t1 - a) * 1e9))]++;
			total++;
		}
		buf[0] = 'R';
		send(fd, buf, o.size, 0);
		recv(fd, buf, o.size, MSG_WAITALL);
		if (read_full(in, &res[rep], sizeof(*res)))
			die("server report");
		res[rep].trans = total / (t1 - t0);
		res[rep].secs = t1 - t0;
		res[rep].recvs = res[rep].recvs ? res[rep].recvs : 1;
		res[rep].p50 = hist_pct(hist, total, 0.50);
		res[rep].p99 = hist_pct(hist, total, 0.99);
		res[rep].p999 = hist_pct(hist, total, 0.999);
	}
	close(fd);
}

static void client_crr(struct result *res)
{
	double t0, end;
	char b = 'c';
	int rep, fd;
	long n;

	for (rep = 0; rep < o.repeats; rep++) {
		n = 0;
		end = now() + o.warm;
		t0 = 0;
		for (;;) {
			double t = now();

			if (!t0 && t >= end) {
				t0 = t;
				end = t0 + o.secs;
				n = 0;
			} else if (t0 && t >= end) {
				break;
			}
			fd = client_connect();
			send(fd, &b, 1, 0);
			recv(fd, &b, 1, 0);
			close(fd);
			n++;
		}
		res[rep].trans = n / (now() - t0);
		res[rep].secs = now() - t0;
	}
}

static double mem_field(const char *key)
{
	char line[256];
	double v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) &&
		    line[strlen(key)] == ':')
			v = atof(line + strlen(key) + 1) * 1024;
	if (f)
		fclose(f);
	return v;
}

static void settle(void)
{
	int fd;

	sleep(2);
	/* Page cache out of the way: MemFree then moves with sockets only. */
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "3", 1) < 0)
			perror("ntyperf: drop_caches");
		close(fd);
	}
}

/*
 * The pages a protocol's queues hold, and its orphans, from the line of
 * /proc/net/sockstat (TCP) or /proc/net/nty/sockstat (NTY) that has them.
 */
static void read_sockstat(double *pages, double *orphans)
{
	const char *path = o.proto == P_TCP ? "/proc/net/sockstat" :
			   "/proc/net/nty/sockstat";
	const char *tag = o.proto == P_TCP ? "TCP:" : "NTY:";
	char line[256], *p;
	FILE *f = fopen(path, "r");

	*pages = -1;
	*orphans = -1;
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, tag, strlen(tag)))
			continue;
		p = strstr(line, " mem ");
		if (p)
			*pages = atof(p + 5);
		p = strstr(line, " orphan ");
		if (p)
			*orphans = atof(p + 8);
	}
	if (f)
		fclose(f);
}

/*
 * Write on every connection until none takes more: the peer never reads,
 * so what stays is bounded by the windows, the buffers and the
 * protocol's memory limit.  Rounds, because data that moved to the
 * peer's receive queue frees the sender's room.
 */
static double fill(int *fds)
{
	static char buf[65536];
	double total = 0, round;
	int i, pass;
	ssize_t n;

	for (i = 0; i < o.conns; i++)
		fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
	for (pass = 0; pass < 100; pass++) {
		round = 0;
		for (i = 0; i < o.conns; i++)
			while ((n = send(fds[i], buf, sizeof(buf),
					 MSG_NOSIGNAL)) > 0)
				round += n;
		total += round;
		if (!round && pass)
			break;
		usleep(200000);
	}
	return total;
}

static void client_mem(int sync, struct result *res)
{
	struct rlimit rl = { o.conns + 1024, o.conns + 1024 };
	double free0, slab0, free1, slab1, left;
	struct sockaddr_storage peer;
	socklen_t plen;
	int i, *fds;

	fds = calloc(o.conns, sizeof(*fds));
	if (!fds)
		die("calloc");
	setrlimit(RLIMIT_NOFILE, &rl);
	settle();
	free0 = mem_field("MemFree");
	slab0 = mem_field("Slab");
	for (i = 0; i < o.conns; i++)
		fds[i] = client_connect();
	if (o.fill)
		res->written = fill(fds);
	settle();
	free1 = mem_field("MemFree");
	slab1 = mem_field("Slab");
	/* Only connections still established count as measured. */
	for (i = 0; i < o.conns; i++) {
		plen = sizeof(peer);
		if (!getpeername(fds[i], (struct sockaddr *)&peer, &plen))
			res->conns++;
	}
	if (o.fill) {
		read_sockstat(&res->pages, &res->orphans);
		for (i = 0; i < o.conns; i++)
			close(fds[i]);
		sleep(1);
		read_sockstat(&left, &res->orphans);
	}
	free(fds);
	/* Both ends of each connection live in this machine. */
	res->mem_per_conn = (free0 - free1) / o.conns;
	res->slab_per_conn = (slab1 - slab0) / o.conns;
	res->trans = o.conns;
	if (write(sync, "x", 1) != 1)
		die("sync");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of one field over the repeats. */
static double median(const struct result *res, size_t off)
{
	double v[MAX_REPEATS];
	int i;

	for (i = 0; i < o.repeats; i++)
		v[i] = *(const double *)((const char *)&res[i] + off);
	qsort(v, o.repeats, sizeof(double), cmp_double);
	return v[o.repeats / 2];
}

#define MED(field) median(res, offsetof(struct result, field))

static void report(const struct result *res)
{
	double secs = MED(secs), frames = 0, bytes = 0, csw_per_recv = 0;
	double cpu = MED(cpu_s), softirq = MED(softirq_s);
	int i;

	if (o.mode == M_RATE) {
		double fr[MAX_REPEATS], by[MAX_REPEATS];

		for (i = 0; i < o.repeats; i++) {
			fr[i] = res[i].secs > 0 ? res[i].frames / res[i].secs : 0;
			by[i] = res[i].secs > 0 ? res[i].bytes / res[i].secs : 0;
		}
		qsort(fr, o.repeats, sizeof(double), cmp_double);
		qsort(by, o.repeats, sizeof(double), cmp_double);
		frames = fr[o.repeats / 2];
		bytes = by[o.repeats / 2];
	}
	if (MED(recvs) > 0)
		csw_per_recv = MED(csw) / MED(recvs);
	if (o.json) {
		printf("{\"label\": \"%s\", \"proto\": \"%s\", ",
		       o.label ? o.label : "", proto_names[o.proto]);
		printf("\"mode\": \"%s\", \"size\": %d, ", mode_names[o.mode],
		       o.size);
		printf("\"secs\": %.3f, \"repeats\": %d, ", secs, o.repeats);
		printf("\"extra_sockets\": %d, \"frames_per_s\": %.1f, ",
		       o.extra, frames);
		printf("\"bytes_per_s\": %.1f, \"trans_per_s\": %.1f, ", bytes,
		       MED(trans));
		printf("\"p50_us\": %.2f, \"p99_us\": %.2f, \"p999_us\": %.2f, ",
		       MED(p50) / 1e3, MED(p99) / 1e3, MED(p999) / 1e3);
		printf("\"server_cpu_s\": %.3f, \"softirq_s\": %.3f, ", cpu,
		       softirq);
		printf("\"csw_per_recv\": %.3f, \"mem_per_conn\": %.1f, ",
		       csw_per_recv, MED(mem_per_conn));
		printf("\"slab_per_conn\": %.1f, \"conns\": %.0f, ",
		       MED(slab_per_conn), MED(conns));
		printf("\"written\": %.0f, \"pages\": %.0f, \"orphans\": %.0f}\n",
		       MED(written), MED(pages), MED(orphans));
		return;
	}
	printf("%-10s %-4s %6d B  ", proto_names[o.proto], mode_names[o.mode],
	       o.size);
	switch (o.mode) {
	case M_RATE:
		printf("%10.0f frames/s %12.0f B/s", frames, bytes);
		break;
	case M_RR:
		printf("%8.0f trans/s  p50 %7.1f us  p99 %7.1f us  p99.9 %7.1f us",
		       MED(trans), MED(p50) / 1e3, MED(p99) / 1e3,
		       MED(p999) / 1e3);
		break;
	case M_CRR:
		printf("%8.0f conn/s", MED(trans));
		break;
	case M_MEM:
		printf("%8.0f B/conn (MemFree)  %8.0f B/conn (Slab)",
		       MED(mem_per_conn), MED(slab_per_conn));
		if (o.fill)
			printf("  %.0f B written, %.0f pages queued, %.0f orphans",
			       MED(written), MED(pages), MED(orphans));
		break;
	}
	printf("  [server cpu %.2fs softirq %.2fs csw/recv %.2f]\n", cpu,
	       softirq, csw_per_recv);
}

static void help(void);

/* The server of one measurement, its reports to @ctl. */
static void serve_one(int ctl)
{
	struct remote_opts ro;
	unsigned char ready[7] = { 'r' };
	int lfd;

	if (read_full(ctl, &ro, sizeof(ro)))
		_exit(1);
	o.proto = ro.proto;
	o.mode = ro.mode;
	o.size = ro.size;
	o.secs = ro.secs;
	o.warm = ro.warm;
	o.repeats = ro.repeats;
	if (o.proto < 0 || o.proto > P_PACKET || (o.mode != M_RATE && o.mode != M_RR) ||
	    o.size < 1 || o.size > 65000 || o.repeats < 1 || o.repeats > MAX_REPEATS)
		_exit(1);
	pin(1);
	lfd = server_socket();
	memcpy(ready + 1, smac, 6);
	if (write(ctl, ready, sizeof(ready)) != sizeof(ready))
		_exit(1);
	if (o.mode == M_RATE)
		serve_rate(lfd, ctl);
	else
		serve_echo(lfd, ctl);
	_exit(0);
}

/* --serve: one measurement after another, each in a child of its own. */
static void serve_forever(int port)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
	};
	int one = 1, lfd, ctl, st;
	pid_t pid;

	if (nty_ifinfo(o.sif, &sifindex, smac))
		die(o.sif);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 4))
		die("--serve");
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		ctl = accept(lfd, NULL, NULL);
		if (ctl < 0)
			die("accept");
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			close(lfd);
			serve_one(ctl);
		}
		/*
		 * A datagram echo server never sees its client leave: the
		 * measurement ends when the client closes the control link.
		 */
		{
			struct pollfd p = { .fd = ctl, .events = POLLRDHUP };

			while (poll(&p, 1, -1) < 0 && errno == EINTR)
				;
		}
		kill(pid, SIGKILL);
		close(ctl);
		waitpid(pid, &st, 0);
	}
}

/* --remote: the control link to a server started with --serve. */
static int remote_connect(void)
{
	struct remote_opts ro = {
		o.proto, o.mode, o.size, o.secs, o.warm, o.repeats,
	};
	struct sockaddr_in a = { .sin_family = AF_INET };
	unsigned char ready[7];
	char host[64], *colon;
	int fd;

	snprintf(host, sizeof(host), "%s", o.remote);
	colon = strchr(host, ':');
	if (!colon)
		help();
	*colon = 0;
	a.sin_port = htons(atoi(colon + 1));
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		help();
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die("--remote");
	if (write(fd, &ro, sizeof(ro)) != sizeof(ro) ||
	    read_full(fd, ready, sizeof(ready)) || ready[0] != 'r')
		die("remote server");
	memcpy(smac, ready + 1, 6);
	return fd;
}

static void help(void)
{
	fprintf(stderr,
		"usage: ntyperf -p PROTO -m MODE [-s SIZE] [-t SECS] [-w SECS] [-r N]\n"
		"               [-n SOCKETS] [-c CONNS] [-F] [-j] [-l LABEL]\n"
		"               [--client-ns NS] [--server-ns NS] [-i CIF:SIF]\n"
		"               [--remote HOST:PORT] [--server-ip ADDR]\n"
		"       ntyperf --serve PORT [-i :SIF]\n"
		"  PROTO  nty-dgram | nty-stream | udp | tcp | packet\n"
		"  MODE   rate | rr | crr | mem\n");
	exit(2);
}

static int lookup(const char * const *names, int n, const char *s)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return i;
	help();
	return -1;
}

/* A whole decimal number in [min, max], or the usage. */
static int parse_int(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		help();
	return v;
}

/* The options into o; returns the --serve port, 0 without. */
static int parse_args(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "client-ns", required_argument, NULL, 'A' },
		{ "server-ns", required_argument, NULL, 'B' },
		{ "serve", required_argument, NULL, 'S' },
		{ "remote", required_argument, NULL, 'R' },
		{ "server-ip", required_argument, NULL, 'I' },
		{ }
	};
	int opt, serve = 0;
	char *colon;

	while ((opt = getopt_long(argc, argv, "p:m:s:t:w:r:n:c:Fjl:i:h", lopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'p':
			o.proto = lookup(proto_names, ARRAY_SIZE(proto_names),
					 optarg);
			break;
		case 'm':
			o.mode = lookup(mode_names, ARRAY_SIZE(mode_names),
					optarg);
			break;
		case 's':
			o.size = parse_int(optarg, 1, 65000);
			break;
		case 't':
			o.secs = parse_int(optarg, 1, 86400);
			break;
		case 'w':
			o.warm = parse_int(optarg, 0, 86400);
			break;
		case 'r':
			o.repeats = parse_int(optarg, 1, MAX_REPEATS);
			break;
		case 'n':
			o.extra = parse_int(optarg, 0, 1 << 20);
			break;
		case 'c':
			o.conns = parse_int(optarg, 1, 1 << 20);
			break;
		case 'F':
			o.fill = 1;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'l':
			o.label = optarg;
			break;
		case 'A':
			o.cns = optarg;
			break;
		case 'B':
			o.sns = optarg;
			break;
		case 'S':
			serve = parse_int(optarg, 1, 65535);
			break;
		case 'R':
			o.remote = optarg;
			break;
		case 'I':
			o.sip = optarg;
			break;
		case 'i':
			colon = strchr(optarg, ':');
			if (!colon)
				help();
			*colon = 0;
			o.cif = optarg;
			o.sif = colon + 1;
			break;
		default:
			help();
		}
	}
	if (((o.mode == M_CRR || o.mode == M_MEM) && !is_stream()) ||
	    (o.proto == P_PACKET && o.mode != M_RATE) ||
	    (o.fill && o.mode != M_MEM))
		help();
	if (o.mode == M_MEM)
		o.repeats = 1;
	return serve;
}

/* The client here, the server on another machine (ntyperf --serve). */
static void run_remote(struct result *res)
{
	int fd;

	if (o.mode != M_RATE && o.mode != M_RR)
		help();
	if (nty_ifinfo(o.cif, &cifindex, cmac))
		die(o.cif);
	signal(SIGPIPE, SIG_IGN);
	fd = remote_connect();
	pin(0);
	if (o.mode == M_RATE)
		client_rate(fd, res);
	else
		client_rr(fd, res);
	close(fd);
}

/*
 * The forked server, in its namespace on CPU 1: @rp carries its figures
 * back, @sp says it is ready, @mp is the memory mode's control pipe.
 * It ends with _exit(), never returning to the client's code.
 */
static void run_server(int rp[2], int sp[2], int mp[2])
{
	int lfd;

	/* Our ends only, so that each side sees EOF if the other dies. */
	close(rp[0]);
	close(sp[0]);
	close(mp[1]);
	enter_ns(o.sns);
	pin(1);
	if (o.extra)
		extra_sockets(o.extra);
	lfd = server_socket();
	if (write(sp[1], "r", 1) != 1)
		die("ready");
	close(sp[1]);
	switch (o.mode) {
	case M_RATE:
		serve_rate(lfd, rp[1]);
		break;
	case M_RR:
	case M_CRR:
		serve_echo(lfd, rp[1]);
		break;
	case M_MEM:
		serve_mem(lfd, mp[0]);
		break;
	}
	_exit(0);
}

/* Both ends on this machine: a server forked into its namespace. */
static void run_local(struct result *res)
{
	int rp[2], sp[2], mp[2], st;
	pid_t pid;

	enter_ns(o.sns);
	if (nty_ifinfo(o.sif, &sifindex, smac))
		die(o.sif);
	enter_ns(o.cns);
	if (nty_ifinfo(o.cif, &cifindex, cmac))
		die(o.cif);
	if (pipe(rp) || pipe(sp) || pipe(mp))
		die("pipe");
	signal(SIGPIPE, SIG_IGN);

	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		run_server(rp, sp, mp);
	close(rp[1]);
	close(sp[1]);
	close(mp[0]);
	pin(0);
	if (read(sp[0], &st, 1) != 1) {
		errno = EPIPE;
		die("server start");
	}
	switch (o.mode) {
	case M_RATE:
		client_rate(rp[0], res);
		break;
	case M_RR:
		client_rr(rp[0], res);
		break;
	case M_CRR:
		client_crr(res);
		break;
	case M_MEM:
		client_mem(mp[1], res);
		break;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

int main(int argc, char **argv)
{
	struct result res[MAX_REPEATS] = { 0 };
	int serve;

	serve = parse_args(argc, argv);
	fam = nty_user_family();
	if (serve) {
		serve_forever(serve);	/* returns only on an error */
		return 1;
	}
	if (o.remote)
		run_remote(res);
	else
		run_local(res);
	report(res);
	return 0;
}

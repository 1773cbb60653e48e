// SPDX-License-Identifier: GPL-2.0
/*
 * ntyfuzz_frames: NTY's frame fuzzer.  From a raw AF_PACKET peer in
 * namespace fz-a it sends mutations of valid frames over a veth (MTU
 * 9000, so long frames can arrive non-linear) to NTY in fz-b: datagrams to
 * bound sockets, and stream segments to a listener and to connections it
 * keeps in every state a peer can put them in (SYN_RECV, ESTABLISHED, a
 * zero window, FIN_WAIT1/2 and CLOSE_WAIT, closed and orphaned).  Every
 * header field is mutated, frames are truncated and extended, checksums
 * broken, sequence and acknowledgment numbers put near the live edges of
 * the connection and far from them, addresses set to groups.
 *
 * Afterwards it checks that fz-b's counters conserve every frame exactly
 * (InFrames + InBcastCopies = InDelivers + every drop), then that a fresh
 * 1 MB stream transfer over the fuzzed path arrives with an equal hash.
 *
 *   ntyfuzz_frames [-i N] [-n FRAMES] [-s SEED]
 *
 * -i N names the namespaces fz-aN and fz-bN, so that several instances
 * can run side by side, one per CPU.
 *
 * Exit 0 when both checks hold, 1 when one fails, 2 when the harness
 * could not run.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <getopt.h>
#include <sys/wait.h>

#include "selftests/nty_raw.h"

/* fz-a and fz-b, or fz-aN and fz-bN for instance N of several (-i N). */
static char ns_a[16] = "fz-a", ns_b[16] = "fz-b";
#define DPORT 7500	/* datagram sockets 7500..7503 */
#define LPORT 7510	/* the listener */
#define TPORT 7520	/* the final transfer */
#define NCONN 16
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static unsigned int seed = 1;

static unsigned int rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 17;
	seed ^= seed << 5;
	return seed;
}

/* A shell command; "%A" and "%B" in @fmt stand for the two namespaces. */
static int sh(const char *fmt)
{
	char cmd[512];
	size_t o = 0;

	for (; *fmt && o < sizeof(cmd) - 20; fmt++) {
		if (fmt[0] == '%' && (fmt[1] == 'A' || fmt[1] == 'B')) {
			o += snprintf(cmd + o, sizeof(cmd) - o, "%s",
				      *++fmt == 'A' ? ns_a : ns_b);
			continue;
		}
		cmd[o++] = *fmt;
	}
	cmd[o] = 0;
	return system(cmd);
}

/*
 * The NTY side: datagram sockets that read now and then, a listener whose
 * connections are read, never read (zero window), half-closed or closed.
 */
static void server(int fam)
{
	struct sockaddr_nty a = { .snty_family = fam };
	int d[4], l, c, n = 0, i, small = 2048;
	char buf[9000];

	enter_ns(ns_b);
	for (i = 0; i < 4; i++) {
		d[i] = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		a.snty_port = htons(DPORT + i);
		if (bind(d[i], (struct sockaddr *)&a, sizeof(a)))
			_exit(2);
	}
	l = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0);
	a.snty_port = htons(LPORT);
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 16))
		_exit(2);
	int held[64], nc = 0;

	for (;;) {
		usleep(2000);
		while ((c = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
			switch (n++ % 4) {
			case 1:		/* never read: the window closes */
				setsockopt(c, SOL_SOCKET, SO_RCVBUF, &small,
					   sizeof(small));
				break;
			case 2:
				shutdown(c, SHUT_WR);
				break;
			case 3:
				close(c);
				continue;
			}
			if (nc == 64)
				close(held[--nc]);
			held[nc++] = c;
		}
		for (i = 0; i < 4; i++)
			while (rnd() % 4 && recv(d[i], buf, sizeof(buf), 0) > 0)
				;
		for (i = 0; i < nc; i++)
			if (i % 4 != 1)
				while (recv(held[i], buf, sizeof(buf), 0) > 0)
					;
	}
}

struct conn {
	struct raw_peer p;
	int live;
};

static struct raw_peer ctl;	/* datagrams and the listener */
static struct conn conns[NCONN];
static int a_ifindex;
static unsigned char b_mac[6];
static long handshakes, handshake_fails;

static void conn_open(struct conn *c, uint16_t sport)
{
	memset(&c->p, 0, sizeof(c->p));
	c->p.sport = sport;
	c->p.dport = LPORT;
	c->p.mac[0] = 2;
	c->p.mac[5] = 0x70 + sport % 16;
	/*
	 * The fuzzed SYNs from random ports fill the SYN queue now and then
	 * (SynQueueDrops); a SYN-ACK comes within milliseconds or not at all.
	 */
	c->live = !raw_open(&c->p, a_ifindex, b_mac) &&
		  !raw_handshake_ms(&c->p, rnd(), 300);
	handshakes++;
	handshake_fails += !c->live;
	/* Some go half-open, some half-closed by the peer. */
	if (c->live && rnd() % 4 == 0) {
		raw_send(&c->p, NTY_F_FIN | NTY_F_ACK, c->p.snd_nxt, NULL, 0);
		c->p.snd_nxt++;
	}
}

/* Learn the NTY end's sequence numbers from what it sent. */
static void conn_listen(struct conn *c)
{
	struct ntyhdr nh;
	size_t len;

	while (!raw_recv_seg(&c->p, &nh, &len, 0)) {
		uint32_t end = ntohl(nh.seq) + len + !!(nh.flags & NTY_F_FIN);

		if ((int32_t)(end - c->p.rcv_nxt) > 0)
			c->p.rcv_nxt = end;
	}
}

/* A number near @edge: on it, just off it, a window off, or anywhere. */
static uint32_t near(uint32_t edge)
{
	static const uint32_t step[] = { 0, 1, -1u, 0x80000000u };
	unsigned int k = rnd() % 8;

	if (k < ARRAY_SIZE(step))
		return edge + step[k];
	if (k == 4)
		return edge + rnd() % 65536;
	if (k == 5)
		return edge - rnd() % 65536;
	if (k == 6)
		return rnd();
	return edge + rnd() % 2048;
}

static unsigned char payload[9000];

/* One frame, mutated, to @p (connection) or as a datagram. */
static void fuzz_one(struct raw_peer *p, int stream)
{
	static const unsigned char bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const unsigned char mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	static unsigned char buf[sizeof(struct virtio_net_hdr) + RAW_MAX_FRAME];
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_ifindex = p->ifindex,
		.sll_halen = 6,
	};
	struct virtio_net_hdr *vh = (struct virtio_net_hdr *)buf;
	unsigned char *frame = buf + sizeof(*vh);
	struct ntyhdr *nh = (struct ntyhdr *)(frame + 14);
	size_t len = rnd() % 4 ? rnd() % 1400 : rnd() % (9000 - NTY_HLEN);
	size_t n;
	int paged = len > 4096 && rnd() % 2;
	unsigned int i, m;

	for (i = 0; i < 8; i++)
		payload[rnd() % sizeof(payload)] = rnd();
	memset(nh, 0, NTY_HLEN);
	nh->version = NTY_VERSION;
	nh->type = stream ? NTY_TYPE_STREAM : NTY_TYPE_DGRAM;
	nh->source = htons(p->sport);
	nh->dest = htons(p->dport);
	if (stream) {
		nh->flags = rnd() % 4 ? NTY_F_ACK : rnd() & 0xff;
		nh->seq = htonl(near(p->snd_nxt));
		nh->ack_seq = htonl(near(p->rcv_nxt));
		nh->window = htons(rnd() % 4 ? 4096 : rnd());
	}
	memcpy((unsigned char *)nh + NTY_HLEN, payload, len);
	nh->len = htons(NTY_HLEN + len);
	n = 14 + NTY_HLEN + len;
	/* The mutations: each field, the length, the frame's ends. */
	for (m = rnd() % 3; m; m--) {
		switch (rnd() % 10) {
		case 0:
			nh->version = rnd();
			break;
		case 1:
			nh->type = rnd();
			break;
		case 2:
			nh->len = htons(rnd() % 2 ? NTY_HLEN + len + rnd() % 16 - 8 : rnd());
			break;
		case 3:
			nh->source = rnd();
			nh->dest = htons(p->dport + rnd() % 3);
			break;
		case 4:		/* truncated */
			if (n > 15)
				n = 14 + rnd() % (n - 14);
			break;
		case 5:		/* extended */
			n += rnd() % 64;
			break;
		case 6:
			((unsigned char *)nh)[rnd() % NTY_HLEN] ^= 1 << (rnd() % 8);
			break;
		case 7:
			nh->flags ^= 1 << (rnd() % 8);
			break;
		default:
			break;
		}
	}
	if (n > RAW_MAX_FRAME)
		n = RAW_MAX_FRAME;
	if (n >= 14 + NTY_HLEN && rnd() % 16)
		nh->check = csum(nh, (n - 14) < (size_t)(NTY_HLEN + len) ?
				 n - 14 : NTY_HLEN + len);
	memcpy(frame, p->nty_mac, 6);
	memcpy(frame + 6, p->mac, 6);
	if (rnd() % 32 == 0)
		memcpy(frame, rnd() % 2 ? bcast : mcast, 6);
	if (rnd() % 64 == 0)
		memcpy(frame + 6, rnd() % 2 ? bcast : mcast, 6);
	frame[12] = p->ethertype >> 8;
	frame[13] = p->ethertype & 0xff;
	memcpy(sll.sll_addr, frame, 6);
	if (paged) {
		memset(vh, 0, sizeof(*vh));
		vh->hdr_len = 14;
		sendto(p->vtx, buf, sizeof(*vh) + n, 0, (struct sockaddr *)&sll,
		       sizeof(sll));
	} else {
		sendto(p->tx, frame, n, 0, (struct sockaddr *)&sll, sizeof(sll));
	}
	/* Now and then a segment that moves the connection on. */
	if (stream && rnd() % 8 == 0) {
		len = rnd() % 1400;
		if (!raw_send(p, NTY_F_ACK, p->snd_nxt, payload, len))
			p->snd_nxt += len;
	}
}

static uint64_t fnv(const unsigned char *b, size_t n, uint64_t h)
{
	while (n--)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

/* 1 MB from a socket in fz-a to one in fz-b: equal FNV-1a hashes. */
static int transfer(int fam, unsigned char a_mac_unused[6])
{
	static unsigned char data[1 << 20], got[1 << 20];
	struct sockaddr_nty a = { .snty_family = fam, .snty_port = htons(TPORT) };
	int l, c, s, pfd[2];
	size_t n = 0;
	ssize_t r;
	uint64_t h = 0;
	pid_t pid;

	(void)a_mac_unused;
	for (n = 0; n < sizeof(data); n++)
		data[n] = n * 31 + (n >> 11);
	enter_ns(ns_b);
	l = socket(fam, SOCK_STREAM, 0);
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) || pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		s = accept(l, NULL, NULL);
		for (n = 0; n < sizeof(got); n += r) {
			r = recv(s, got + n, sizeof(got) - n, 0);
			if (r <= 0)
				break;
		}
		h = fnv(got, n, 0xcbf29ce484222325ULL);
		if (write(pfd[1], &h, sizeof(h)) != sizeof(h))
			_exit(1);
		_exit(n == sizeof(got) ? 0 : 1);
	}
	enter_ns(ns_a);
	c = socket(fam, SOCK_STREAM, 0);
	a.snty_ifindex = a_ifindex;
	memcpy(a.snty_addr, b_mac, 6);
	if (connect(c, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	for (n = 0; n < sizeof(data); n += r) {
		r = send(c, data + n, sizeof(data) - n, 0);
		if (r <= 0)
			return -1;
	}
	if (read(pfd[0], &h, sizeof(h)) != sizeof(h) || reap(pid))
		return -1;
	close(c);
	close(l);
	return h == fnv(data, sizeof(data), 0xcbf29ce484222325ULL) ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const char * const drops[] = {
		"InBacklogDrops", "InHdrErrors", "InCsumErrors", "InNoPort",
		"InDiscards", "RcvbufErrors", "SockBacklogDrops",
		"SynQueueDrops", "ListenOverflows", "DupSegs",
		"OutOfWindowSegs",
	};
	long frames = 100000, i;
	long long gap;
	int fam, opt, rc = 0;
	unsigned int j;
	pid_t srv;

	while ((opt = getopt(argc, argv, "i:n:s:")) != -1) {
		if (opt == 'n') {
			frames = atol(optarg);
		} else if (opt == 'i') {
			snprintf(ns_a, sizeof(ns_a), "fz-a%d", atoi(optarg));
			snprintf(ns_b, sizeof(ns_b), "fz-b%d", atoi(optarg));
		} else if (opt == 's') {
			seed = atoi(optarg) | 1;
		} else {
			return 2;
		}
	}
	fam = nty_user_family();
	sh("ip netns del %A 2>/dev/null; ip netns del %B 2>/dev/null");
	if (sh("ip netns add %A") || sh("ip netns add %B") ||
	    sh("ip link add fa netns %A type veth peer name fb netns %B") ||
	    sh("ip -n %A link set fa mtu 9000 up") ||
	    sh("ip -n %B link set fb mtu 9000 up") ||
	    /* One frame per segment: the peer reads segments, not trains. */
	    sh("ip netns exec %B ethtool -K fb gso off >/dev/null"))
		return 2;
	/* Orphans of the fuzzed connections give up fast, so the module can go. */
	if (sh("ip netns exec %B sysctl -qw net.nty.orphan_retries=1 net.nty.fin_timeout=1"))
		return 2;
	enter_ns(ns_b);
	{
		int ib;

		if (nty_ifinfo("fb", &ib, b_mac))
			return 2;
	}
	srv = fork();
	if (srv == 0)
		server(fam);
	enter_ns(ns_a);
	a_ifindex = if_nametoindex("fa");
	ctl.mac[0] = 2;
	ctl.mac[5] = 0x66;
	if (raw_open(&ctl, a_ifindex, b_mac))
		return 2;
	usleep(300000);

	for (i = 0; i < frames; i++) {
		struct conn *c = &conns[rnd() % NCONN];

		if (i % 500 == 0) {
			struct conn *o = &conns[(i / 500) % NCONN];

			if (o->p.tx)
				raw_close(&o->p);
			conn_open(o, 20000 + (i / 500) % 40000);
		}
		switch (rnd() % 10) {
		case 0: case 1: case 2:
			ctl.dport = DPORT + rnd() % 5;
			fuzz_one(&ctl, 0);
			break;
		case 3:
			ctl.dport = LPORT;
			ctl.sport = rnd();
			ctl.snd_nxt = rnd();
			fuzz_one(&ctl, 1);
			break;
		default:
			if (!c->live)
				break;
			conn_listen(c);
			fuzz_one(&c->p, 1);
		}
		if (i % 100000 == 0 && i)
			printf("ntyfuzz_frames: %ld frames\n", i);
	}
	/* Every connection the peer made goes away exactly (a RST at rcv_nxt). */
	for (j = 0; j < NCONN; j++)
		if (conns[j].live) {
			conn_listen(&conns[j]);
			raw_send(&conns[j].p, NTY_F_RST, conns[j].p.snd_nxt, NULL, 0);
		}
	kill(srv, SIGKILL);
	waitpid(srv, NULL, 0);
	sleep(2);

	enter_ns(ns_b);
	gap = nty_snmp("InFrames") + nty_snmp("InBcastCopies") -
	      nty_snmp("InDelivers");
	for (j = 0; j < ARRAY_SIZE(drops); j++)
		gap -= nty_snmp(drops[j]);
	printf("ntyfuzz_frames: %ld frames sent, %s InFrames %lld, conservation gap %lld\n",
	       frames, ns_b, nty_snmp("InFrames"), gap);
	printf("ntyfuzz_frames: %ld handshakes, %ld unanswered; %s %lld %s %lld\n",
	       handshakes, handshake_fails,
	       "SynQueueDrops", nty_snmp("SynQueueDrops"), "ListenOverflows",
	       nty_snmp("ListenOverflows"));
	if (gap)
		rc = 1;
	if (transfer(fam, NULL)) {
		printf("ntyfuzz_frames: fresh 1 MB transfer over the fuzzed path FAILED\n");
		rc = 1;
	} else {
		printf("ntyfuzz_frames: fresh 1 MB transfer over the fuzzed path: equal hashes\n");
	}
	for (j = 0; j < NCONN; j++)
		if (conns[j].p.tx)
			raw_close(&conns[j].p);
	raw_close(&ctl);
	enter_init_ns();
	sh("ip netns del %A; ip netns del %B");
	return rc;
}

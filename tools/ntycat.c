// SPDX-License-Identifier: GPL-2.0
/*
 * ntycat: netcat for NTY sockets.
 *
 *   ntycat [-t] [-r] [-i IFACE] [-b BYTES] [-c COUNT] [-q] [-v] [-w SECS] -l PORT
 *   ntycat [-t] [-p PORT] [-c COUNT -s SIZE] IFACE MAC PORT
 *
 * Datagrams (default): receive binds PORT (on IFACE, or every interface)
 * and writes each datagram's payload to stdout.  Send: each line of stdin
 * becomes one datagram to MAC:PORT through IFACE; with -c, COUNT test
 * datagrams of SIZE bytes are sent instead, each starting with its 32-bit
 * sequence number, which a receiver given -q checks.
 *
 * Stream (-t), like nc over TCP: -l accepts one connection; either end
 * copies stdin to the peer and the peer to stdout until both directions
 * are closed.  With -c the sender writes COUNT blocks of SIZE test bytes
 * instead of stdin; with -q either end prints the byte count and an
 * FNV-1a hash of the bytes instead of the bytes, so two ends can be
 * compared.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/time.h>

#include "lib/nty_user.h"

static void help(void)
{
	fprintf(stderr,
		"usage: ntycat [-t] [-r] [-i IFACE] [-b BYTES] [-c COUNT] [-q] [-v] [-w SECS] -l PORT\n"
		"       ntycat [-t] [-p PORT] [-c COUNT] [-s SIZE] [-q] IFACE MAC PORT\n"
		"\n"
		"  -t        stream socket (like nc over TCP); default datagrams\n"
		"  -l PORT   listen: print datagrams received on PORT\n"
		"  -i IFACE  listen on IFACE only (default: every interface)\n"
		"  -r        SO_REUSEADDR: share PORT with other such sockets\n"
		"  -b BYTES  SO_RCVBUF of the socket (default: net.nty.rmem_default)\n"
		"  -p PORT   local port to send from (default: ephemeral)\n"
		"  -c COUNT  send COUNT test datagrams; with -l, exit after COUNT\n"
		"  -s SIZE   payload bytes of test datagrams (default 64, >= 4)\n"
		"  -q        with -l: check test traffic's numbering, print a summary;\n"
		"            stream: print byte count and FNV-1a hash, not the bytes\n"
		"  -v        with -l: print each sender before its payload\n"
		"  -w SECS   with -l: give up after SECS without a datagram\n"
		"MAC ff:ff:ff:ff:ff:ff broadcasts to every NTY host on the link.\n");
	exit(2);
}

static int parse_port(const char *s)
{
	char *end;
	long v = strtol(s, &end, 0);

	if (*s == '\0' || *end || v < 0 || v > 65535) {
		fprintf(stderr, "ntycat: bad port '%s'\n", s);
		exit(2);
	}
	return v;
}

static int do_listen(int fd, long count, int quiet, int verbose, int wait)
{
	unsigned char buf[65536];
	struct sockaddr_nty from;
	long n = 0, bad = 0;
	uint32_t seq, last = 0;

	while (count < 0 || n < count) {
		socklen_t alen = sizeof(from);
		ssize_t len;

		if (wait > 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			int r = poll(&p, 1, wait * 1000);

			if (r == 0) {
				fprintf(stderr, "ntycat: timeout after %ld datagrams\n", n);
				break;
			}
		}
		len = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			       &alen);
		if (len < 0) {
			perror("ntycat: recvfrom");
			return 1;
		}
		/* -q: test traffic from -c, numbered; check the order. */
		if (quiet && len >= 4) {
			memcpy(&seq, buf, 4);
			seq = ntohl(seq);
			if (n && seq <= last)
				bad++;
			last = seq;
		}
		n++;
		if (verbose)
			printf("from %02x:%02x:%02x:%02x:%02x:%02x port %u if %d, %zd bytes\n",
			       from.snty_addr[0], from.snty_addr[1],
			       from.snty_addr[2], from.snty_addr[3],
			       from.snty_addr[4], from.snty_addr[5],
			       ntohs(from.snty_port), from.snty_ifindex, len);
		if (!quiet && fwrite(buf, 1, len, stdout) != (size_t)len)
			return 1;
		fflush(stdout);
	}
	if (quiet)
		printf("received %ld datagrams, %ld out of order\n", n, bad);
	return bad ? 1 : 0;
}

/*
 * What the peer sent: count it and hash it (-q) or print it.
 * Return: read()'s result.
 */
static ssize_t take_in(int fd, unsigned char *buf, size_t size, int quiet,
		       long long *n, uint64_t *h)
{
	ssize_t len = read(fd, buf, size);

	if (len < 0)
		perror("ntycat: read");
	if (len <= 0)
		return len;
	*n += len;
	if (quiet)
		*h = nty_fnv1a(*h, buf, len);
	else if (fwrite(buf, 1, len, stdout) != (size_t)len)
		return -1;
	fflush(stdout);
	return len;
}

/*
 * Stream: copy stdin (or COUNT test blocks) to the peer and the peer to
 * stdout, until the peer closes and our side is done.
 */
static int do_stream(int fd, long count, long size, int quiet, int wait)
{
	static unsigned char buf[65536];
	uint64_t h_in = NTY_FNV_INIT, h_out = NTY_FNV_INIT;
	long long n_in = 0, n_out = 0;
	int out_open = 1, in_open = 1;
	long sent_blocks = 0;
	ssize_t len;

	signal(SIGPIPE, SIG_IGN);
	if (wait > 0) {
		struct timeval tv = { .tv_sec = wait };

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	while (in_open || (count >= 0 && out_open)) {
		/*
		 * Nothing (more) to send: block in read() like a plain
		 * reader, which is what the prequeue waits for.
		 */
		if (!out_open || count == -2) {
			len = take_in(fd, buf, sizeof(buf), quiet, &n_in, &h_in);
			if (len < 0)
				return 1;
			if (len == 0)
				break;
			continue;
		}
		struct pollfd p[2] = {
			{ .fd = fd, .events = in_open ? POLLIN : 0 },
			{ .fd = count == -1 ? 0 : -1, .events = POLLIN },
		};
		int r;

		if (count >= 0 && out_open)
			p[0].events |= POLLOUT;
		if (!out_open)
			p[1].fd = -1;
		r = poll(p, 2, wait > 0 ? wait * 1000 : -1);
		if (r == 0) {
			fprintf(stderr, "ntycat: timeout\n");
			return 1;
		}
		if (r < 0) {
			perror("ntycat: poll");
			return 1;
		}
		if (in_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			len = take_in(fd, buf, sizeof(buf), quiet, &n_in, &h_in);
			if (len < 0)
				return 1;
			in_open = len > 0;
		}
		if (out_open && count >= 0 && (p[0].revents & POLLOUT)) {
			if (sent_blocks < count) {
				long i;

				for (i = 0; i < size; i++)
					buf[i] = (unsigned char)((n_out + i) * 7 + 1);
				len = write(fd, buf, size);
				if (len < 0) {
					perror("ntycat: write");
					return 1;
				}
				h_out = nty_fnv1a(h_out, buf, len);
				n_out += len;
				if (len == size)
					sent_blocks++;
				else
					memmove(buf, buf + len, size - len);
			} else {
				shutdown(fd, SHUT_WR);
				out_open = 0;
			}
		}
		if (out_open && count < 0 && (p[1].revents & (POLLIN | POLLHUP))) {
			len = read(0, buf, sizeof(buf));
			if (len > 0 && write(fd, buf, len) != len) {
				perror("ntycat: write");
				return 1;
			}
			if (len <= 0) {
				shutdown(fd, SHUT_WR);
				out_open = 0;
			} else {
				h_out = nty_fnv1a(h_out, buf, len);
				n_out += len;
			}
		}
	}
	if (quiet)
		printf("received %lld bytes fnv1a %016llx sent %lld bytes fnv1a %016llx\n",
		       n_in, (unsigned long long)h_in, n_out,
		       (unsigned long long)h_out);
	return 0;
}

static int send_one(int fd, const void *buf, size_t len,
		    const struct sockaddr_nty *to)
{
	if (sendto(fd, buf, len, 0, (const struct sockaddr *)to,
		   sizeof(*to)) < 0) {
		perror("ntycat: sendto");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int fam = nty_user_family(), opt, fd, quiet = 0, verbose = 0, wait = 0;
	long count = -1, size = 64, i;
	int lport = -1, sport = 0, stream = 0, rcvbuf = 0, reuse = 0;
	const char *ifname = NULL;
	struct sockaddr_nty a = { 0 };
	unsigned char *buf;
	char line[65536];

	while ((opt = getopt(argc, argv, "trl:i:b:p:c:s:qvw:h")) != -1) {
		switch (opt) {
		case 't':
			stream = 1;
			break;
		case 'l':
			lport = parse_port(optarg);
			break;
		case 'i':
			ifname = optarg;
			break;
		case 'b':
			rcvbuf = atoi(optarg);
			if (rcvbuf <= 0)
				help();
			break;
		case 'p':
			sport = parse_port(optarg);
			break;
		case 'c':
			count = atol(optarg);
			break;
		case 's':
			size = atol(optarg);
			break;
		case 'r':
			reuse = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'w':
			wait = atoi(optarg);
			break;
		default:
			help();
		}
	}

	fd = socket(fam, stream ? SOCK_STREAM : SOCK_DGRAM, 0);
	/* A broadcast MAC needs SO_BROADCAST, as for UDP. */
	if (fd >= 0 && !stream) {
		int one = 1;

		setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
	}
	if (fd < 0) {
		perror("ntycat: socket (is nty.ko loaded?)");
		return 1;
	}
	a.snty_family = fam;
	if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse,
				sizeof(reuse)) < 0) {
		perror("ntycat: SO_REUSEADDR");
		return 1;
	}
	if (rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				 sizeof(rcvbuf)) < 0) {
		perror("ntycat: SO_RCVBUF");
		return 1;
	}

	if (lport >= 0) {
		if (optind != argc)
			help();
		if (ifname && nty_ifinfo(ifname, &a.snty_ifindex, NULL)) {
			fprintf(stderr, "ntycat: no interface '%s'\n", ifname);
			return 1;
		}
		a.snty_port = htons(lport);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
			perror("ntycat: bind");
			return 1;
		}
		if (stream) {
			int c;

			if (listen(fd, 1) < 0) {
				perror("ntycat: listen");
				return 1;
			}
			if (wait > 0) {
				struct pollfd p = { .fd = fd, .events = POLLIN };

				if (poll(&p, 1, wait * 1000) == 0) {
					fprintf(stderr, "ntycat: no connection in %d s\n",
						wait);
					return 1;
				}
			}
			c = accept(fd, NULL, NULL);
			if (c < 0) {
				perror("ntycat: accept");
				return 1;
			}
			close(fd);
			return do_stream(c, count >= 0 ? -2 : -1, size, quiet,
					 wait);
		}
		return do_listen(fd, count, quiet, verbose, wait);
	}

	if (argc - optind != 3 || size < 4 || size > 65535)
		help();
	if (sport) {
		a.snty_port = htons(sport);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
			perror("ntycat: bind");
			return 1;
		}
	}
	if (nty_ifinfo(argv[optind], &a.snty_ifindex, NULL)) {
		fprintf(stderr, "ntycat: no interface '%s'\n", argv[optind]);
		return 1;
	}
	if (nty_parse_mac(argv[optind + 1], a.snty_addr)) {
		fprintf(stderr, "ntycat: bad MAC '%s'\n", argv[optind + 1]);
		return 2;
	}
	a.snty_port = htons(parse_port(argv[optind + 2]));
	if (stream) {
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
			perror("ntycat: connect");
			return 1;
		}
		return do_stream(fd, count, size, quiet, wait);
	}

	if (count >= 0) {
		buf = calloc(1, size);
		if (!buf)
			return 1;
		for (i = 0; i < count; i++) {
			uint32_t seq = htonl(i);

			memcpy(buf, &seq, 4);
			if (send_one(fd, buf, size, &a))
				return 1;
		}
		return 0;
	}
	while (fgets(line, sizeof(line), stdin))
		if (send_one(fd, line, strlen(line), &a))
			return 1;
	return 0;
}

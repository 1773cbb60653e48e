/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers the NTY selftests share: namespaces, counters, /proc tables,
 * raw frames, time.
 */
#ifndef _NTY_TEST_H
#define _NTY_TEST_H

#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <sched.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>

#include "../../tools/lib/nty_user.h"

static inline void enter_ns(const char *name)
{
	if (nty_enter_netns(name) < 0) {
		fprintf(stderr, "setns %s: %s\n", name, strerror(errno));
		exit(1);
	}
}

/* The tunables that are global live in the initial namespace (PID 1's). */
static inline void enter_init_ns(void)
{
	int fd = open("/proc/1/ns/net", O_RDONLY);

	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "setns init: %s\n", strerror(errno));
		exit(1);
	}
	close(fd);
}

static inline long long snmp_in(const char *ns, const char *name)
{
	enter_ns(ns);
	return nty_snmp(name);
}

static inline void write_file(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(val, f) < 0 || fclose(f)) {
		fprintf(stderr, "write %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static inline long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Drops of one kind since load, from /sys/kernel/debug/nty/drops. */
static inline long drops_of(const char *kind)
{
	char line[256], k[64];
	long n = -1, c;
	FILE *f = fopen("/sys/kernel/debug/nty/drops", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %63s %*s %ld", k, &c) == 2 &&
		    !strcmp(k, kind))
			n = c;
	fclose(f);
	return n;
}

/*
 * Before 6.6 a family cannot see SOL_SOCKET options first, so SO_RCVBUF
 * is clamped by net.core.rmem_max rather than net.nty.rmem_max
 * (module/compat.h): a test that needs a large buffer raises both.  Call
 * from the initial namespace; returns the old value, for
 * restore_core_rmem_max().
 */
static inline long raise_core_rmem_max(long bytes)
{
	long old = read_long("/proc/sys/net/core/rmem_max");
	char val[32];

	if (old < bytes) {
		snprintf(val, sizeof(val), "%ld", bytes);
		write_file("/proc/sys/net/core/rmem_max", val);
	}
	return old;
}

static inline void restore_core_rmem_max(long old)
{
	char val[32];

	snprintf(val, sizeof(val), "%ld", old);
	write_file("/proc/sys/net/core/rmem_max", val);
}

/* A column of /proc/net/nty/softnet: one CPU's row, or the sum (cpu -1). */
static inline long softnet_cpu(int cpu, const char *col)
{
	char head[256], line[256], *tok, *save;
	int idx = -1, i;
	long val = cpu < 0 ? 0 : -1;
	FILE *f = fopen("/proc/net/nty/softnet", "r");

	if (!f || !fgets(head, sizeof(head), f))
		return -1;
	for (i = 0, tok = strtok_r(head, "\n ", &save); tok;
	     tok = strtok_r(NULL, "\n ", &save), i++)
		if (!strcmp(tok, col))
			idx = i;
	while (idx >= 0 && fgets(line, sizeof(line), f)) {
		long v[16];
		int n = 0;

		for (tok = strtok_r(line, "\n ", &save); tok && n < 16;
		     tok = strtok_r(NULL, "\n ", &save))
			v[n++] = atol(tok);
		if (n > idx && cpu < 0)
			val += v[idx];
		else if (n > idx && v[0] == cpu)
			val = v[idx];
	}
	fclose(f);
	return val;
}

static inline void sleep_ms(int ms)
{
	usleep(ms * 1000);
}

/* Wait until a counter of @ns reaches @target; the path runs in softirq. */
static inline long long wait_snmp(const char *ns, const char *name,
				  long long target)
{
	long long v = 0;
	int i;

	for (i = 0; i < 300; i++) {
		v = snmp_in(ns, name);
		if (v >= target)
			break;
		sleep_ms(10);
	}
	return v;
}

/*
 * A column of this namespace's /proc/net/nty/sockets row for @lport (the
 * last such row), in @state unless @state is NULL.
 */
static inline long socket_column_in(int lport, const char *state,
				    const char *col)
{
	char head[512], line[512], *tok, *save;
	int idx = -1, i, port_idx = -1, state_idx = -1;
	long val = -1;
	FILE *f = fopen("/proc/net/nty/sockets", "r");

	if (!f || !fgets(head, sizeof(head), f))
		return -1;
	for (i = 0, tok = strtok_r(head, "\n ", &save); tok;
	     tok = strtok_r(NULL, "\n ", &save), i++) {
		if (!strcmp(tok, col))
			idx = i;
		if (!strcmp(tok, "lport"))
			port_idx = i;
		if (!strcmp(tok, "state"))
			state_idx = i;
	}
	while (fgets(line, sizeof(line), f)) {
		char *cols[32];
		int n = 0;

		for (tok = strtok_r(line, "\n ", &save); tok && n < 32;
		     tok = strtok_r(NULL, "\n ", &save))
			cols[n++] = tok;
		if (idx < n && port_idx < n && atoi(cols[port_idx]) == lport &&
		    (!state || (state_idx < n && !strcmp(cols[state_idx], state))))
			val = atol(cols[idx]);
	}
	fclose(f);
	return val;
}

static inline long socket_column(int lport, const char *col)
{
	return socket_column_in(lport, NULL, col);
}

static inline int reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Internet checksum, as the module computes it. */
static inline uint16_t csum(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

static inline double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The selftests' topology (topo.sh), learnt once per test. */
struct nty_topo {
	int fam;
	int va_ifindex, vb_ifindex;
	unsigned char va_mac[6], vb_mac[6];
};

static inline int nty_topo_learn(struct nty_topo *t)
{
	t->fam = nty_user_family();
	enter_ns("nty-a");
	if (nty_ifinfo("va", &t->va_ifindex, t->va_mac))
		return -1;
	enter_ns("nty-b");
	return nty_ifinfo("vb", &t->vb_ifindex, t->vb_mac);
}

static inline int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* Send @len bytes after an Ethernet header from @ifindex (AF_PACKET). */
static inline int inject_raw(int ifindex, const unsigned char *src,
			     const unsigned char *dst, const void *nty,
			     size_t len)
{
	unsigned char frame[1600];
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_ifindex = ifindex,
		.sll_halen = 6,
	};
	int ethertype = read_long("/sys/module/nty/parameters/ethertype");
	struct ether_header *eh = (struct ether_header *)frame;
	int fd, ret;

	if (len > sizeof(frame) - sizeof(*eh))
		return -1;
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		return -1;
	memcpy(eh->ether_dhost, dst, 6);
	memcpy(eh->ether_shost, src, 6);
	eh->ether_type = htons(ethertype);
	memcpy(frame + sizeof(*eh), nty, len);
	memcpy(sll.sll_addr, dst, 6);
	ret = sendto(fd, frame, sizeof(*eh) + len, 0, (struct sockaddr *)&sll,
		     sizeof(sll));
	close(fd);
	return ret < 0 ? -1 : 0;
}

#endif /* _NTY_TEST_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by NTY's user programs: the family number in use, MAC
 * parsing, interface lookup and the /proc/net/nty/snmp counters.
 */
#ifndef _NTY_USER_H
#define _NTY_USER_H

#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/nty.h>

/* The family the loaded module registered (module parameter "family"). */
static inline int nty_user_family(void)
{
	FILE *f = fopen("/sys/module/nty/parameters/family", "r");
	int fam = AF_NTY;

	if (f) {
		if (fscanf(f, "%d", &fam) != 1)
			fam = AF_NTY;
		fclose(f);
	}
	return fam;
}

static inline int nty_parse_mac(const char *s, unsigned char mac[6])
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = b[i];
	}
	return 0;
}

/* ifindex and MAC of @ifname in the calling thread's namespace. */
static inline int nty_ifinfo(const char *ifname, int *ifindex,
			     unsigned char mac[6])
{
	struct ifreq ifr;
	int fd, ret = -1;

	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) == 0) {
		*ifindex = ifr.ifr_ifindex;
		if (!mac || ioctl(fd, SIOCGIFHWADDR, &ifr) == 0) {
			if (mac)
				memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
			ret = 0;
		}
	}
	close(fd);
	return ret;
}

/* FNV-1a, 64 bits: enough to tell two byte streams apart in a test. */
#define NTY_FNV_INIT	0xcbf29ce484222325ULL

static inline uint64_t nty_fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* A counter of /proc/net/nty/snmp in the caller's namespace, -1 if absent. */
static inline long long nty_snmp(const char *name)
{
	char names[4096], values[4096], *n, *v, *sn, *sv;
	long long ret = -1;
	FILE *f = fopen("/proc/net/nty/snmp", "r");

	if (!f)
		return -1;
	while (fgets(names, sizeof(names), f) && fgets(values, sizeof(values), f)) {
		n = strtok_r(names, "\n ", &sn);
		v = strtok_r(values, "\n ", &sv);
		while ((n = strtok_r(NULL, "\n ", &sn)) &&
		       (v = strtok_r(NULL, "\n ", &sv))) {
			if (!strcmp(n, name)) {
				ret = atoll(v);
				goto out;
			}
		}
	}
out:
	fclose(f);
	return ret;
}

#ifdef _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>

/*
 * Join the network namespace ip-netns(8) calls @name, as "ip netns exec"
 * does; the one copy of it the tools share (setns() wants _GNU_SOURCE,
 * which every tool that enters a namespace defines).  Return: 0, or -1
 * with errno set.
 */
static inline int nty_enter_netns(const char *name)
{
	char path[128];
	int fd, ret;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = setns(fd, CLONE_NEWNET);
	close(fd);
	return ret;
}
#endif

#endif /* _NTY_USER_H */

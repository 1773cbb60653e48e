// SPDX-License-Identifier: GPL-2.0
/*
 * iproute2 plugin for "ip link add A type ntynic peer name B ...".
 *
 * ip looks for the link types it does not know in $IP_LIB_DIR/link_KIND.so
 * (default /usr/lib/ip), symbol KIND_link_util.  An ntynic's peer travels
 * in IFLA_INFO_DATA exactly as a veth's does (NTYNIC_INFO_PEER is
 * VETH_INFO_PEER), so the parsing is delegated to ip's own veth parser,
 * which ip exports (it is linked with -export-dynamic).  Only the leading
 * members of iproute2's struct link_util are declared: they have kept
 * their order since plugins exist.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

struct link_util {
	struct link_util *next;
	const char *id;
	int maxattr;
	int (*parse_opt)(struct link_util *lu, int argc, char **argv,
			 struct nlmsghdr *n);
	void (*print_opt)(struct link_util *lu, FILE *f, struct rtattr *tb[]);
	void (*print_xstats)(struct link_util *lu, FILE *f,
			     struct rtattr *xstats);
	void (*print_help)(struct link_util *lu, int argc, char **argv,
			   FILE *f);
	int (*parse_ifla_xstats)(struct link_util *lu, int argc, char **argv);
	int (*print_ifla_xstats)(struct nlmsghdr *n, void *arg);
};

static void ntynic_print_help(struct link_util *lu, int argc, char **argv,
			      FILE *f)
{
	fprintf(f, "Usage: ip link <options> type ntynic [peer <options>]\n"
		"To get <options> type 'ip link add help'\n");
}

static int ntynic_parse_opt(struct link_util *lu, int argc, char **argv,
			    struct nlmsghdr *n)
{
	struct link_util *veth = dlsym(RTLD_DEFAULT, "veth_link_util");

	if (strcmp(argv[0], "peer")) {
		ntynic_print_help(lu, argc, argv, stderr);
		return -1;
	}
	if (!veth || !veth->parse_opt) {
		fprintf(stderr, "ntynic: this ip has no veth parser to borrow\n");
		return -1;
	}
	return veth->parse_opt(lu, argc, argv, n);
}

struct link_util ntynic_link_util = {
	.id		= "ntynic",
	.maxattr	= 1,
	.parse_opt	= ntynic_parse_opt,
	.print_help	= ntynic_print_help,
};

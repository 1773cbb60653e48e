// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/sys/net/nty: NTY's tunables, named and defaulted after the kernel's
 * own (net.core.netdev_max_backlog, dev_weight, somaxconn, rmem_*,
 * wmem_*, net.ipv4.udp_mem, ip_local_port_range).  The per-CPU ones
 * (max_backlog, napi_weight, rps_cpus, backlog) and the memory budget
 * (mem) are global, as net.core's are; other namespaces see them
 * read-only.
 */
#include <linux/sysctl.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/cpumask.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "nty.h"

int nty_max_backlog = 1000;
EXPORT_SYMBOL_IF_KUNIT(nty_max_backlog);
int nty_napi_weight = NAPI_POLL_WEIGHT;
int nty_backlog_mode = NTY_BACKLOG_ALWAYS;

static int nty_one = 1;
static int nty_max_weight = 1024;
static int nty_port_min = 1;
static int nty_port_max = 65535;
static int nty_min_rcvbuf = SOCK_MIN_RCVBUF;
static int nty_min_sndbuf = SOCK_MIN_SNDBUF;
static int nty_somaxconn_max = 65535;
static int nty_max_retries = 127;	/* as tcp_syn_retries */
static int nty_max_fin_timeout = 3600;
static int nty_max_ratelimit = 60000;
static int nty_max_orphan_retries = 20;	/* the backoff's own cap */
static int nty_max_syn_backlog = 65535;

static int nty_proc_napi_weight(NTY_CTL_TABLE *table, int write, void *buffer,
				size_t *lenp, loff_t *ppos)
{
	int ret = proc_dointvec_minmax(table, write, buffer, lenp, ppos);

	if (!ret && write)
		nty_backlog_set_weight(READ_ONCE(nty_napi_weight));
	return ret;
}

/* A hex CPU mask, as /sys/class/net/<dev>/queues/rx-<n>/rps_cpus. */
static int nty_proc_rps_cpus(NTY_CTL_TABLE *table, int write, void *buffer,
			     size_t *lenp, loff_t *ppos)
{
	struct ctl_table tmp = *table;
	/* "%*pb": a hex digit per 4 CPUs, a comma per 32, room to spare. */
	size_t len = DIV_ROUND_UP(nr_cpu_ids, 4) + nr_cpu_ids / 32 + 16;
	cpumask_var_t mask;
	char *buf;
	int ret = -ENOMEM;

	buf = kzalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (!zalloc_cpumask_var(&mask, GFP_KERNEL))
		goto out_buf;
	tmp.data = buf;
	tmp.maxlen = len;
	if (write) {
		ret = proc_dostring(&tmp, write, buffer, lenp, ppos);
		if (ret)
			goto out;
		ret = cpumask_parse(buf, mask);
		if (ret)
			goto out;
		if (!cpumask_subset(mask, cpu_possible_mask)) {
			ret = -EINVAL;
			goto out;
		}
		ret = nty_rps_set_cpus(mask);
	} else {
		nty_rps_get_cpus(mask);
		snprintf(buf, len, "%*pb", cpumask_pr_args(mask));
		ret = proc_dostring(&tmp, write, buffer, lenp, ppos);
	}
out:
	free_cpumask_var(mask);
out_buf:
	kfree(buf);
	return ret;
}

static const char * const nty_backlog_modes[] = {
	[NTY_BACKLOG_ALWAYS]	= "always",
	[NTY_BACKLOG_RPS]	= "rps",
};

/*
 * A word, as net.ipv4.tcp_congestion_control takes one: "always" or
 * "rps", a trailing newline allowed; anything else is -EINVAL.
 */
static int nty_proc_backlog_mode(NTY_CTL_TABLE *table, int write,
				 void *buffer, size_t *lenp, loff_t *ppos)
{
	struct ctl_table tmp = *table;
	char buf[16];
	int i, ret;

	tmp.data = buf;
	tmp.maxlen = sizeof(buf);
	if (!write) {
		strscpy(buf, nty_backlog_modes[READ_ONCE(nty_backlog_mode)],
			sizeof(buf));
		return proc_dostring(&tmp, write, buffer, lenp, ppos);
	}
	ret = proc_dostring(&tmp, write, buffer, lenp, ppos);
	if (ret)
		return ret;
	i = sysfs_match_string(nty_backlog_modes, strim(buf));
	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(nty_backlog_mode, i);
	return 0;
}

/* Both ends in range and in order, as ip_local_port_range insists. */
static int nty_proc_port_range(NTY_CTL_TABLE *table, int write, void *buffer,
			       size_t *lenp, loff_t *ppos)
{
	int *range = table->data;
	int val[2] = { READ_ONCE(range[0]), READ_ONCE(range[1]) };
	struct ctl_table tmp = *table;
	int ret;

	tmp.data = val;
	ret = proc_dointvec_minmax(&tmp, write, buffer, lenp, ppos);
	if (!write || ret)
		return ret;
	if (val[0] > val[1])
		return -EINVAL;
	WRITE_ONCE(range[0], val[0]);
	WRITE_ONCE(range[1], val[1]);
	return 0;
}

/* Entries up to here are global; the rest point into struct nty_net. */
#define NTY_SYSCTL_GLOBAL 5

static struct ctl_table nty_sysctl_template[] = {
	{
		.procname	= "max_backlog",
		.data		= &nty_max_backlog,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &nty_one,
	},
	{
		.procname	= "napi_weight",
		.data		= &nty_napi_weight,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= nty_proc_napi_weight,
		.extra1		= &nty_one,
		.extra2		= &nty_max_weight,
	},
	{
		.procname	= "rps_cpus",
		.mode		= 0644,
		.proc_handler	= nty_proc_rps_cpus,
	},
	{
		.procname	= "backlog",
		.mode		= 0644,
		.proc_handler	= nty_proc_backlog_mode,
	},
	{
		/* Pages, min pressure max, as net.ipv4.udp_mem. */
		.procname	= "mem",
		.data		= nty_sysctl_mem,
		.maxlen		= sizeof(nty_sysctl_mem),
		.mode		= 0644,
		.proc_handler	= proc_doulongvec_minmax,
	},
	{
		.procname	= "somaxconn",
		.data		= (void *)offsetof(struct nty_net, somaxconn),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &nty_one,
		.extra2		= &nty_somaxconn_max,
	},
	{
		.procname	= "rmem_default",
		.data		= (void *)offsetof(struct nty_net, rmem_default),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &nty_min_rcvbuf,
	},
	{
		.procname	= "rmem_max",
		.data		= (void *)offsetof(struct nty_net, rmem_max),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &nty_min_rcvbuf,
	},
	{
		.procname	= "wmem_default",
		.data		= (void *)offsetof(struct nty_net, wmem_default),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &nty_min_sndbuf,
	},
	{
		.procname	= "wmem_max",
		.data		= (void *)offsetof(struct nty_net, wmem_max),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &nty_min_sndbuf,
	},
	{
		.procname	= "prequeue",
		.data		= (void *)offsetof(struct nty_net, prequeue),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},
	{
		.procname	= "delayed_ack",
		.data		= (void *)offsetof(struct nty_net, delayed_ack),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},
	{
		.procname	= "max_syn_backlog",
		.data		= (void *)offsetof(struct nty_net, max_syn_backlog),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &nty_one,
		.extra2		= &nty_max_syn_backlog,
	},
	{
		.procname	= "syn_retries",
		.data		= (void *)offsetof(struct nty_net, syn_retries),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &nty_one,
		.extra2		= &nty_max_retries,
	},
	{
		.procname	= "synack_retries",
		.data		= (void *)offsetof(struct nty_net, synack_retries),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= &nty_max_retries,
	},
	{
		.procname	= "fin_timeout",
		.data		= (void *)offsetof(struct nty_net, fin_timeout),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &nty_one,
		.extra2		= &nty_max_fin_timeout,
	},
	{
		.procname	= "invalid_ratelimit",
		.data		= (void *)offsetof(struct nty_net, invalid_ratelimit),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= &nty_max_ratelimit,
	},
	{
		.procname	= "orphan_retries",
		.data		= (void *)offsetof(struct nty_net, orphan_retries),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= &nty_max_orphan_retries,
	},
	{
		.procname	= "max_orphans",
		.data		= (void *)offsetof(struct nty_net, max_orphans),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
	},
	{
		.procname	= "local_port_range",
		.data		= (void *)offsetof(struct nty_net, port_range),
		.maxlen		= sizeof(int) * 2,
		.mode		= 0644,
		.proc_handler	= nty_proc_port_range,
		.extra1		= &nty_port_min,
		.extra2		= &nty_port_max,
	},
	{ }
};

/*
 * The limits on what one user's sockets may pin.  As netns_core_table
 * keeps somaxconn from unprivileged users, a namespace owned by another
 * user namespace (a container) sees them read-only: root there is not
 * root, and must not raise what the host bounded.
 */
static const char * const nty_sysctl_limits[] = {
	"somaxconn", "rmem_default", "rmem_max", "wmem_default", "wmem_max",
	"max_syn_backlog", "orphan_retries", "max_orphans",
};

static bool nty_sysctl_is_limit(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(nty_sysctl_limits); i++)
		if (!strcmp(name, nty_sysctl_limits[i]))
			return true;
	return false;
}

/**
 * nty_sysctl_init_net - register /proc/sys/net/nty in @net
 * @net: the namespace; its struct nty_net holds the defaults already
 *
 * Return: 0 or -ENOMEM.
 */
int nty_sysctl_init_net(struct net *net)
{
	struct nty_net *nn = nty_pernet(net);
	struct ctl_table *table;
	size_t i, n = ARRAY_SIZE(nty_sysctl_template) - 1;

	table = kmemdup(nty_sysctl_template, sizeof(nty_sysctl_template),
			GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (i >= NTY_SYSCTL_GLOBAL)
			table[i].data = (char *)nn + (uintptr_t)table[i].data;
		else if (!net_eq(net, &init_net))
			table[i].mode = 0444;
		if (net->user_ns != &init_user_ns &&
		    nty_sysctl_is_limit(table[i].procname))
			table[i].mode = 0444;
	}
	nn->sysctl_hdr = nty_register_net_sysctl(net, "net/nty", table, n);
	if (!nn->sysctl_hdr) {
		kfree(table);
		return -ENOMEM;
	}
	return 0;
}

/**
 * nty_sysctl_exit_net - unregister /proc/sys/net/nty in @net
 * @net: the namespace
 */
void nty_sysctl_exit_net(struct net *net)
{
	struct nty_net *nn = nty_pernet(net);
	const struct ctl_table *table = nn->sysctl_hdr->ctl_table_arg;

	unregister_net_sysctl_table(nn->sysctl_hdr);
	kfree(table);
}

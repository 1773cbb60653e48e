// SPDX-License-Identifier: GPL-2.0
/*
 * Per-namespace state: every namespace gets its own counters, socket list,
 * /proc/net/nty and /proc/sys/net/nty, so that sockets and counters of one
 * are invisible in another.  Registered as a pernet subsystem, whose exit
 * runs after the namespace's devices are gone, so no frame of a dying
 * namespace is still on its way to these counters.
 */
#include <net/net_namespace.h>

#include "nty.h"

unsigned int nty_net_id __read_mostly;

static int __net_init nty_net_init(struct net *net)
{
	struct nty_net *nn = nty_pernet(net);
	int ret;

	nn->mib = (unsigned long __percpu *)
		  __alloc_percpu(sizeof(unsigned long) * __NTY_MIB_MAX,
				 sizeof(unsigned long));
	if (!nn->mib)
		return -ENOMEM;

	nn->somaxconn = SOMAXCONN;
	nn->rmem_default = 212992;
	nn->rmem_max = 212992;
	nn->wmem_default = 212992;
	nn->wmem_max = 212992;
	nn->prequeue = 0;
	nn->delayed_ack = 1;
	nn->max_syn_backlog = 256;
	nn->syn_retries = 6;
	nn->synack_retries = 5;
	nn->fin_timeout = 60;
	nn->invalid_ratelimit = 500;	/* HZ / 2, in ms */
	nn->orphan_retries = 0;
	nn->max_orphans = 16384;
	nn->port_range[0] = 32768;
	nn->port_range[1] = 60999;
	INIT_HLIST_HEAD(&nn->sklist);
	spin_lock_init(&nn->sklist_lock);

	ret = nty_proc_init_net(net);
	if (ret)
		goto err_proc;
	ret = nty_sysctl_init_net(net);
	if (ret)
		goto err_sysctl;
	return 0;

err_sysctl:
	nty_proc_exit_net(net);
err_proc:
	free_percpu(nn->mib);
	return ret;
}

static void __net_exit nty_net_exit(struct net *net)
{
	struct nty_net *nn = nty_pernet(net);

	nty_sysctl_exit_net(net);
	nty_proc_exit_net(net);
	free_percpu(nn->mib);
}

static struct pernet_operations nty_net_ops = {
	.init	= nty_net_init,
	.exit	= nty_net_exit,
	.id	= &nty_net_id,
	.size	= sizeof(struct nty_net),
};

/**
 * nty_netns_init - set up NTY in every namespace, present and future
 *
 * Return: 0 or a negative errno.
 */
int nty_netns_init(void)
{
	return register_pernet_subsys(&nty_net_ops);
}

/**
 * nty_netns_exit - tear NTY down in every namespace
 */
void nty_netns_exit(void)
{
	unregister_pernet_subsys(&nty_net_ops);
}

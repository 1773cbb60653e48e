// SPDX-License-Identifier: GPL-2.0
/*
 * NTY module init and exit: registers, in dependency order, the socket
 * tables, the per-namespace state (counters, /proc/net/nty,
 * /proc/sys/net/nty), the per-CPU backlog that writes those counters, the
 * segmentation offload, the packet_type (so that no frame arrives before
 * every stage behind it exists), the debugfs directory, the ntynic link
 * type and, last, the address family.  Exit mirrors init exactly.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/socket.h>

#include "nty.h"
#include "observe.h"
#include "nic.h"

int nty_family = AF_NTY;
module_param_named(family, nty_family, int, 0444);
MODULE_PARM_DESC(family, "Address family number to register (default 19, below AF_MAX)");
EXPORT_SYMBOL_IF_KUNIT(nty_family);

static int ethertype = ETH_P_NTY;
module_param(ethertype, int, 0444);
MODULE_PARM_DESC(ethertype, "EtherType of NTY frames (default 0x88B5, 0x0600-0xffff, not one the stack uses)");

__be16 nty_ethertype_be;

/*
 * EtherTypes the stack itself receives: NTY's packet_type beside ip_rcv()
 * or the VLAN code would see their frames as malformed NTY.
 */
static bool __init nty_ethertype_taken(int type)
{
	static const u16 taken[] __initconst = {
		ETH_P_IP, ETH_P_ARP, ETH_P_RARP, ETH_P_IPV6, ETH_P_8021Q,
		ETH_P_8021AD, ETH_P_MPLS_UC, ETH_P_MPLS_MC, ETH_P_PAE,
		ETH_P_LLDP, ETH_P_SLOW,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(taken); i++)
		if (type == taken[i])
			return true;
	return false;
}

static int __init nty_init(void)
{
	int ret;

	if (nty_family <= 0 || nty_family >= NPROTO) {
		pr_err("family %d out of range (1..%d)\n", nty_family,
		       NPROTO - 1);
		return -EINVAL;
	}
	if (ethertype < ETH_P_802_3_MIN || ethertype > 0xffff) {
		pr_err("ethertype %#x out of range (%#x..0xffff)\n", ethertype,
		       ETH_P_802_3_MIN);
		return -EINVAL;
	}
	if (nty_ethertype_taken(ethertype)) {
		pr_err("ethertype %#x belongs to another protocol\n", ethertype);
		return -EINVAL;
	}
	nty_ethertype_be = htons(ethertype);

	ret = nty_demux_init();
	if (ret < 0)
		return ret;
	ret = nty_journey_init();
	if (ret < 0)
		goto err_journey;
	ret = nty_netns_init();
	if (ret < 0)
		goto err_netns;
	ret = nty_backlog_init();
	if (ret < 0)
		goto err_backlog;
	nty_gso_init();
	ret = nty_input_init();
	if (ret < 0)
		goto err_input;
	ret = nty_debugfs_init();
	if (ret < 0)
		goto err_debugfs;
	ret = nty_nic_init();
	if (ret < 0)
		goto err_nic;
	/* Last: no socket exists until nothing here can fail any more. */
	ret = nty_af_init();
	if (ret < 0)
		goto err_af;

	pr_info("loaded: family %d, ethertype %#06x\n", nty_family, ethertype);
	return 0;

err_af:
	nty_nic_exit();
err_nic:
	nty_debugfs_exit();
err_debugfs:
	nty_input_exit();
err_input:
	nty_gso_exit();
	nty_backlog_exit();
err_backlog:
	nty_netns_exit();
err_netns:
	nty_journey_exit();
err_journey:
	nty_demux_exit();
	return ret;
}

/*
 * The per-CPU backlog is drained (its poll stopped, its notifier gone)
 * before the per-namespace counters its frames write are freed.
 */
static void __exit nty_exit(void)
{
	nty_af_exit();
	nty_nic_exit();
	nty_debugfs_exit();
	nty_input_exit();
	nty_gso_exit();
	nty_backlog_exit();
	nty_netns_exit();
	nty_journey_exit();
	nty_demux_exit();
}

module_init(nty_init);
module_exit(nty_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("NTY: the Linux receive path as an address family");
MODULE_AUTHOR("NTY developers");

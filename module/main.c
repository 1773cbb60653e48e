// SPDX-License-Identifier: GPL-2.0
/*
 * NTY module init and exit: registers, in dependency order, the socket
 * tables, the per-CPU backlog, the per-namespace state (counters,
 * /proc/net/nty, /proc/sys/net/nty), the segmentation offload, the
 * address family, the packet_type (so that no frame arrives before every
 * stage behind it exists), the debugfs directory and the ntynic link
 * type.  Exit mirrors init exactly.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/socket.h>

#include "nty.h"

int nty_family = AF_NTY;
module_param_named(family, nty_family, int, 0444);
MODULE_PARM_DESC(family, "Address family number to register (default 19, below AF_MAX)");
EXPORT_SYMBOL_GPL(nty_family);

static int ethertype = ETH_P_NTY;
module_param(ethertype, int, 0444);
MODULE_PARM_DESC(ethertype, "EtherType of NTY frames (default 0x88B5, 0x0600-0xffff)");

__be16 nty_ethertype_be;

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
	nty_ethertype_be = htons(ethertype);

	ret = nty_demux_init();
	if (ret < 0)
		return ret;
	ret = nty_journey_init();
	if (ret < 0)
		goto err_journey;
	ret = nty_backlog_init();
	if (ret < 0)
		goto err_backlog;
	ret = nty_netns_init();
	if (ret < 0)
		goto err_netns;
	nty_gso_init();
	ret = nty_af_init();
	if (ret < 0)
		goto err_af;
	ret = nty_input_init();
	if (ret < 0)
		goto err_input;
	ret = nty_debugfs_init();
	if (ret < 0)
		goto err_debugfs;
	ret = nty_nic_init();
	if (ret < 0)
		goto err_nic;

	pr_info("loaded: family %d, ethertype %#06x\n", nty_family, ethertype);
	return 0;

err_nic:
	nty_debugfs_exit();
err_debugfs:
	nty_input_exit();
err_input:
	nty_af_exit();
err_af:
	nty_gso_exit();
	nty_netns_exit();
err_netns:
	nty_backlog_exit();
err_backlog:
	nty_journey_exit();
err_journey:
	nty_demux_exit();
	return ret;
}

static void __exit nty_exit(void)
{
	nty_nic_exit();
	nty_debugfs_exit();
	nty_input_exit();
	nty_af_exit();
	nty_gso_exit();
	nty_netns_exit();
	nty_backlog_exit();
	nty_journey_exit();
	nty_demux_exit();
}

module_init(nty_init);
module_exit(nty_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("NTY: the Linux receive path as an address family");
MODULE_AUTHOR("NTY developers");

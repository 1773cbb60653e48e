// SPDX-License-Identifier: GPL-2.0
/*
 * ntynic's ethtool operations, so that its stages are watched and tuned
 * with the commands used on real NICs: -i, -S (per channel), -g/-G (ring
 * sizes), -c/-C (interrupt coalescing), -l/-L (channels); -k/-K (GRO) is
 * the core's.  Ring and channel changes on a running device close and
 * reopen its channels; the frames this costs are counted (rx_flushed,
 * rx_closed), never silently lost.
 */
#include <linux/ethtool.h>
#include <linux/log2.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>

#include "nic.h"

const char * const nty_nic_qstat_names[__NTY_NIC_QS_MAX] = {
	[NTY_NIC_QS_RX_PACKETS]		= "rx_packets",
	[NTY_NIC_QS_RX_BYTES]		= "rx_bytes",
	[NTY_NIC_QS_RX_DMA]		= "rx_dma",
	[NTY_NIC_QS_RING_FULL]		= "rx_ring_full",
	[NTY_NIC_QS_REFILL_FAILURES]	= "rx_refill_failures",
	[NTY_NIC_QS_BUILD_FAILURES]	= "rx_build_failures",
	[NTY_NIC_QS_IRQS]		= "irqs",
	[NTY_NIC_QS_IRQ_FRAMES]		= "irq_frames",
	[NTY_NIC_QS_IRQ_TIMER]		= "irq_timer",
	[NTY_NIC_QS_IRQ_REARM]		= "irq_rearm",
	[NTY_NIC_QS_POLLS]		= "polls",
	[NTY_NIC_QS_BUDGET_EXHAUSTED]	= "budget_exhausted",
	[NTY_NIC_QS_TX_PACKETS]		= "tx_packets",
	[NTY_NIC_QS_TX_BYTES]		= "tx_bytes",
	[NTY_NIC_QS_TX_COMPLETED]	= "tx_completed",
	[NTY_NIC_QS_TX_RING_FULL]	= "tx_ring_full",
};

/* Device-wide counters, before the per-channel ones. */
static const char * const nty_nic_dev_stat_names[] = {
	"rx_flushed", "rx_closed", "rx_too_long", "rx_runt", "tx_no_peer",
};

static unsigned int nty_nic_channels(const struct net_device *dev)
{
	const struct nty_nic *nic = netdev_priv(dev);

	return min(dev->real_num_rx_queues, nic->max_channels);
}

static void nty_nic_get_drvinfo(struct net_device *dev,
				struct ethtool_drvinfo *info)
{
	strscpy(info->driver, NTY_NIC_DRV_NAME, sizeof(info->driver));
	strscpy(info->bus_info, "virtual", sizeof(info->bus_info));
}

static int nty_nic_get_sset_count(struct net_device *dev, int sset)
{
	if (sset != ETH_SS_STATS)
		return -EOPNOTSUPP;
	return ARRAY_SIZE(nty_nic_dev_stat_names) +
	       nty_nic_channels(dev) * __NTY_NIC_QS_MAX;
}

static void nty_nic_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	unsigned int i, j;

	if (sset != ETH_SS_STATS)
		return;
	/* Not ethtool_puts(): the driver builds on 6.1, which lacks it. */
	for (i = 0; i < ARRAY_SIZE(nty_nic_dev_stat_names); i++)
		ethtool_sprintf(&data, "%.*s", ETH_GSTRING_LEN,
				nty_nic_dev_stat_names[i]);
	for (i = 0; i < nty_nic_channels(dev); i++)
		for (j = 0; j < __NTY_NIC_QS_MAX; j++)
			ethtool_sprintf(&data, "q%u_%s", i,
					nty_nic_qstat_names[j]);
}

static void nty_nic_get_ethtool_stats(struct net_device *dev,
				      struct ethtool_stats *stats, u64 *data)
{
	struct nty_nic *nic = netdev_priv(dev);
	unsigned int i;

	*data++ = atomic64_read(&nic->rx_flushed);
	*data++ = atomic64_read(&nic->rx_closed);
	*data++ = atomic64_read(&nic->rx_too_long);
	*data++ = atomic64_read(&nic->rx_runt);
	*data++ = atomic64_read(&nic->tx_no_peer);
	for (i = 0; i < nty_nic_channels(dev); i++) {
		nty_nic_queue_stats_read(&nic->queues[i], data);
		data += __NTY_NIC_QS_MAX;
	}
}

static void nty_nic_get_ringparam(struct net_device *dev,
				  struct ethtool_ringparam *ring,
				  struct kernel_ethtool_ringparam *kring,
				  struct netlink_ext_ack *extack)
{
	struct nty_nic *nic = netdev_priv(dev);

	ring->rx_max_pending = NTY_NIC_RING_MAX;
	ring->tx_max_pending = NTY_NIC_RING_MAX;
	ring->rx_pending = nic->rx_ring_size;
	ring->tx_pending = nic->tx_ring_size;
}

/*
 * Apply a change that needs the channels rebuilt: close them, change,
 * reopen.  TX is stopped meanwhile, so the stack queues rather than
 * drops; what the peer sends meanwhile is counted in rx_closed.
 */
static int nty_nic_reconfigure(struct net_device *dev,
			       int (*change)(struct net_device *, void *),
			       void (*undo)(struct net_device *, void *),
			       void *arg)
{
	bool running = netif_running(dev);
	int err;

	if (running) {
		netif_tx_disable(dev);
		nty_nic_channels_down(dev);
	}
	err = change(dev, arg);
	if (running) {
		int up = nty_nic_channels_up(dev);

		if (up && !err) {
			/* Go back to what worked, and say why not. */
			undo(dev, arg);
			up = nty_nic_channels_up(dev);
			err = -ENOMEM;
		}
		if (!up)
			netif_tx_wake_all_queues(dev);
		else
			err = up;
	}
	return err;
}

struct nty_nic_rings {
	u32 rx, tx, old_rx, old_tx;
};

static int nty_nic_change_rings(struct net_device *dev, void *arg)
{
	struct nty_nic *nic = netdev_priv(dev);
	struct nty_nic_rings *r = arg;

	nic->rx_ring_size = r->rx;
	nic->tx_ring_size = r->tx;
	return 0;
}

static void nty_nic_undo_rings(struct net_device *dev, void *arg)
{
	struct nty_nic *nic = netdev_priv(dev);
	struct nty_nic_rings *r = arg;

	nic->rx_ring_size = r->old_rx;
	nic->tx_ring_size = r->old_tx;
}

/* Ring sizes are rounded up to a power of two, as many NICs do. */
static int nty_nic_set_ringparam(struct net_device *dev,
				 struct ethtool_ringparam *ring,
				 struct kernel_ethtool_ringparam *kring,
				 struct netlink_ext_ack *extack)
{
	struct nty_nic *nic = netdev_priv(dev);
	struct nty_nic_rings r = {
		.old_rx = nic->rx_ring_size, .old_tx = nic->tx_ring_size,
	};

	if (ring->rx_mini_pending || ring->rx_jumbo_pending)
		return -EINVAL;
	if (ring->rx_pending < NTY_NIC_RING_MIN ||
	    ring->tx_pending < NTY_NIC_RING_MIN) {
		NL_SET_ERR_MSG_MOD(extack, "rings need at least 8 descriptors");
		return -EINVAL;
	}
	r.rx = roundup_pow_of_two(ring->rx_pending);
	r.tx = roundup_pow_of_two(ring->tx_pending);
	if (r.rx == r.old_rx && r.tx == r.old_tx)
		return 0;
	return nty_nic_reconfigure(dev, nty_nic_change_rings,
				   nty_nic_undo_rings, &r);
}

static int nty_nic_get_coalesce(struct net_device *dev,
				struct ethtool_coalesce *ec,
				struct kernel_ethtool_coalesce *kec,
				struct netlink_ext_ack *extack)
{
	struct nty_nic *nic = netdev_priv(dev);

	ec->rx_max_coalesced_frames = READ_ONCE(nic->rx_frames);
	ec->rx_coalesce_usecs = READ_ONCE(nic->rx_usecs);
	ec->tx_max_coalesced_frames = READ_ONCE(nic->tx_frames);
	ec->tx_coalesce_usecs = READ_ONCE(nic->tx_usecs);
	return 0;
}

/* Takes effect at the next completion; nothing to rebuild. */
static int nty_nic_set_coalesce(struct net_device *dev,
				struct ethtool_coalesce *ec,
				struct kernel_ethtool_coalesce *kec,
				struct netlink_ext_ack *extack)
{
	struct nty_nic *nic = netdev_priv(dev);

	if (ec->rx_coalesce_usecs > NTY_NIC_MAX_USECS ||
	    ec->tx_coalesce_usecs > NTY_NIC_MAX_USECS ||
	    ec->rx_max_coalesced_frames > NTY_NIC_RING_MAX ||
	    ec->tx_max_coalesced_frames > NTY_NIC_RING_MAX) {
		NL_SET_ERR_MSG_MOD(extack, "at most 4096 frames and 1000000 usecs");
		return -EINVAL;
	}
	/* Neither a frame count nor a time would never interrupt. */
	if ((!ec->rx_max_coalesced_frames && !ec->rx_coalesce_usecs) ||
	    (!ec->tx_max_coalesced_frames && !ec->tx_coalesce_usecs)) {
		NL_SET_ERR_MSG_MOD(extack, "frames and usecs cannot both be 0");
		return -EINVAL;
	}
	WRITE_ONCE(nic->rx_frames, ec->rx_max_coalesced_frames);
	WRITE_ONCE(nic->rx_usecs, ec->rx_coalesce_usecs);
	WRITE_ONCE(nic->tx_frames, ec->tx_max_coalesced_frames);
	WRITE_ONCE(nic->tx_usecs, ec->tx_coalesce_usecs);
	return 0;
}

static void nty_nic_get_channels(struct net_device *dev,
				 struct ethtool_channels *ch)
{
	struct nty_nic *nic = netdev_priv(dev);

	ch->max_combined = nic->max_channels;
	ch->combined_count = nty_nic_channels(dev);
}

struct nty_nic_chan {
	unsigned int n, old;
};

static int nty_nic_change_channels(struct net_device *dev, void *arg)
{
	struct nty_nic_chan *c = arg;
	int err;

	err = netif_set_real_num_tx_queues(dev, c->n);
	if (!err)
		err = netif_set_real_num_rx_queues(dev, c->n);
	return err;
}

static void nty_nic_undo_channels(struct net_device *dev, void *arg)
{
	struct nty_nic_chan *c = arg;

	netif_set_real_num_tx_queues(dev, c->old);
	netif_set_real_num_rx_queues(dev, c->old);
}

static int nty_nic_set_channels(struct net_device *dev,
				struct ethtool_channels *ch)
{
	struct nty_nic_chan c = {
		.n = ch->combined_count, .old = nty_nic_channels(dev),
	};

	/* The core has checked the counts against the maximums. */
	if (!c.n)
		return -EINVAL;
	if (c.n == c.old)
		return 0;
	return nty_nic_reconfigure(dev, nty_nic_change_channels,
				   nty_nic_undo_channels, &c);
}

const struct ethtool_ops nty_nic_ethtool_ops = {
	.supported_coalesce_params = ETHTOOL_COALESCE_USECS |
				     ETHTOOL_COALESCE_MAX_FRAMES,
	.get_drvinfo		= nty_nic_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_sset_count		= nty_nic_get_sset_count,
	.get_strings		= nty_nic_get_strings,
	.get_ethtool_stats	= nty_nic_get_ethtool_stats,
	.get_ringparam		= nty_nic_get_ringparam,
	.set_ringparam		= nty_nic_set_ringparam,
	.get_coalesce		= nty_nic_get_coalesce,
	.set_coalesce		= nty_nic_set_coalesce,
	.get_channels		= nty_nic_get_channels,
	.set_channels		= nty_nic_set_channels,
};

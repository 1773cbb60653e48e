// SPDX-License-Identifier: GPL-2.0
/*
 * ntynic, the device: a pair of Ethernet netdevs created with
 * "ip link add nty0 type ntynic peer name nty1" (rtnl_link_ops, as veth
 * does it), each with up to NTY_NIC_MAX_QUEUES channels.  A channel is an
 * RX ring, a TX ring, an interrupt bound to a CPU and a NAPI instance;
 * "numrxqueues N" at creation or "ethtool -L DEV combined N" sets how many
 * are in use.  Open allocates the rings with their buffers, as a driver
 * does, and close frees them; ring size and channel changes close and
 * reopen the channels, counting in rx_flushed what was still in a ring.
 * /sys/class/net/DEV/ntynic/irq_cpus binds each channel's interrupt to a
 * CPU, as /proc/irq/N/smp_affinity_list does for a real NIC.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/etherdevice.h>
#include <linux/fault-inject.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <net/rtnetlink.h>
#include <uapi/linux/nty.h>

#include "nic.h"

/* The one place the driver's tracepoints are instantiated. */
#define CREATE_TRACE_POINTS
#include "nic_trace.h"

static struct rtnl_link_ops nty_nic_link_ops;

/**
 * nty_nic_queue_stats_read - a consistent copy of channel @q's counters
 * @q: the channel
 * @out: __NTY_NIC_QS_MAX values, in enum nty_nic_qstat order
 */
void nty_nic_queue_stats_read(const struct nty_nic_queue *q, u64 *out)
{
	const struct nty_nic_queue_stats *s = &q->stats;
	unsigned int start;

	do {
		start = u64_stats_fetch_begin(&s->rx_syncp);
		out[NTY_NIC_QS_RX_PACKETS] = u64_stats_read(&s->rx_packets);
		out[NTY_NIC_QS_RX_BYTES] = u64_stats_read(&s->rx_bytes);
		out[NTY_NIC_QS_POLLS] = u64_stats_read(&s->polls);
		out[NTY_NIC_QS_BUDGET_EXHAUSTED] =
			u64_stats_read(&s->budget_exhausted);
		out[NTY_NIC_QS_REFILL_FAILURES] =
			u64_stats_read(&s->refill_failures);
		out[NTY_NIC_QS_BUILD_FAILURES] =
			u64_stats_read(&s->build_failures);
		out[NTY_NIC_QS_TX_COMPLETED] = u64_stats_read(&s->tx_completed);
	} while (u64_stats_fetch_retry(&s->rx_syncp, start));
	do {
		start = u64_stats_fetch_begin(&s->ring_syncp);
		out[NTY_NIC_QS_RX_DMA] = u64_stats_read(&s->rx_dma);
		out[NTY_NIC_QS_RING_FULL] = u64_stats_read(&s->ring_full);
	} while (u64_stats_fetch_retry(&s->ring_syncp, start));
	do {
		start = u64_stats_fetch_begin(&s->irq_syncp);
		out[NTY_NIC_QS_IRQS] = u64_stats_read(&s->irqs);
		out[NTY_NIC_QS_IRQ_FRAMES] =
			u64_stats_read(&s->irq_causes[NTY_NIC_IRQ_FRAMES]);
		out[NTY_NIC_QS_IRQ_TIMER] =
			u64_stats_read(&s->irq_causes[NTY_NIC_IRQ_TIMER]);
		out[NTY_NIC_QS_IRQ_REARM] =
			u64_stats_read(&s->irq_causes[NTY_NIC_IRQ_REARM]);
	} while (u64_stats_fetch_retry(&s->irq_syncp, start));
	do {
		start = u64_stats_fetch_begin(&s->tx_syncp);
		out[NTY_NIC_QS_TX_PACKETS] = u64_stats_read(&s->tx_packets);
		out[NTY_NIC_QS_TX_BYTES] = u64_stats_read(&s->tx_bytes);
		out[NTY_NIC_QS_TX_RING_FULL] = u64_stats_read(&s->tx_ring_full);
	} while (u64_stats_fetch_retry(&s->tx_syncp, start));
}

/**
 * nty_nic_channels_up - allocate and start the channels in use
 * @dev: the device; RTNL held
 *
 * Return: 0, or -ENOMEM with every channel down again.
 */
int nty_nic_channels_up(struct net_device *dev)
{
	struct nty_nic *nic = netdev_priv(dev);
	unsigned int i, n = dev->real_num_rx_queues;
	struct nty_nic_queue *q;
	int err;

	for (i = 0; i < n; i++) {
		q = &nic->queues[i];
		err = nty_nic_rings_alloc(q, nic->rx_ring_size,
					  nic->tx_ring_size);
		if (err) {
			nty_nic_channels_down(dev);
			return err;
		}
		napi_enable(&q->napi);
		nty_nic_irq_start(q);
		spin_lock_bh(&q->rx_lock);
		q->rx_open = true;
		spin_unlock_bh(&q->rx_lock);
	}
	return 0;
}

/**
 * nty_nic_channels_down - stop every channel that is up and free its rings
 * @dev: the device, its TX queues disabled; RTNL held
 *
 * Return: 0.
 */
int nty_nic_channels_down(struct net_device *dev)
{
	struct nty_nic *nic = netdev_priv(dev);
	struct nty_nic_queue *q;
	unsigned int i;

	for (i = 0; i < nic->max_channels; i++) {
		q = &nic->queues[i];
		if (!q->rx_ring)
			continue;
		/* No more "DMA", no more interrupts, then no more polls. */
		spin_lock_bh(&q->rx_lock);
		q->rx_open = false;
		spin_unlock_bh(&q->rx_lock);
		nty_nic_irq_stop(q);
		napi_disable(&q->napi);
		nty_nic_tx_reap(q, 0);
		netdev_tx_reset_queue(netdev_get_tx_queue(dev, i));
		nty_nic_rings_free(q);
	}
	return 0;
}

static int nty_nic_open(struct net_device *dev)
{
	struct nty_nic *nic = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(nic->peer);
	int err;

	err = nty_nic_channels_up(dev);
	if (err)
		return err;
	netif_tx_start_all_queues(dev);
	/* The link is up when both ends are. */
	if (peer && netif_running(peer)) {
		netif_carrier_on(dev);
		netif_carrier_on(peer);
	}
	return 0;
}

static int nty_nic_stop(struct net_device *dev)
{
	struct nty_nic *nic = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(nic->peer);

	netif_carrier_off(dev);
	if (peer)
		netif_carrier_off(peer);
	netif_tx_disable(dev);
	return nty_nic_channels_down(dev);
}

static int nty_nic_dev_init(struct net_device *dev)
{
	struct nty_nic *nic = netdev_priv(dev);
	struct nty_nic_queue *q;
	unsigned int i;

	nic->dev = dev;
	nic->max_channels = min3(dev->num_rx_queues, dev->num_tx_queues,
				 (unsigned int)NTY_NIC_MAX_QUEUES);
	nic->queues = kcalloc(nic->max_channels, sizeof(*nic->queues),
			      GFP_KERNEL_ACCOUNT);
	if (!nic->queues)
		return -ENOMEM;
	nic->rx_ring_size = NTY_NIC_RING_DEFAULT;
	nic->tx_ring_size = NTY_NIC_RING_DEFAULT;
	/* One interrupt per frame; TX completions batched. */
	nic->rx_frames = 1;
	nic->rx_usecs = 0;
	nic->tx_frames = 32;
	nic->tx_usecs = 50;
	for (i = 0; i < nic->max_channels; i++) {
		q = &nic->queues[i];
		q->dev = dev;
		q->index = i;
		spin_lock_init(&q->rx_lock);
		nty_nic_irq_init(q);
		q->irq_cpu = cpumask_local_spread(i, NUMA_NO_NODE);
		u64_stats_init(&q->stats.rx_syncp);
		u64_stats_init(&q->stats.ring_syncp);
		u64_stats_init(&q->stats.irq_syncp);
		u64_stats_init(&q->stats.tx_syncp);
		netif_napi_add(dev, &q->napi, nty_nic_poll);
	}
	return 0;
}

static void nty_nic_dev_uninit(struct net_device *dev)
{
	struct nty_nic *nic = netdev_priv(dev);
	unsigned int i;

	for (i = 0; i < nic->max_channels; i++)
		netif_napi_del(&nic->queues[i].napi);
	kfree(nic->queues);
	nic->queues = NULL;
}

static void nty_nic_get_stats64(struct net_device *dev,
				struct rtnl_link_stats64 *s)
{
	struct nty_nic *nic = netdev_priv(dev);
	u64 v[__NTY_NIC_QS_MAX];
	unsigned int i;

	for (i = 0; i < nic->max_channels; i++) {
		nty_nic_queue_stats_read(&nic->queues[i], v);
		s->rx_packets += v[NTY_NIC_QS_RX_PACKETS];
		s->rx_bytes += v[NTY_NIC_QS_RX_BYTES];
		s->tx_packets += v[NTY_NIC_QS_TX_PACKETS];
		s->tx_bytes += v[NTY_NIC_QS_TX_BYTES];
		/* A full ring is the NIC's FIFO overrun: missed frames. */
		s->rx_missed_errors += v[NTY_NIC_QS_RING_FULL];
		s->rx_fifo_errors += v[NTY_NIC_QS_RING_FULL];
		s->rx_dropped += v[NTY_NIC_QS_BUILD_FAILURES];
	}
	s->rx_length_errors = atomic64_read(&nic->rx_too_long) +
			      atomic64_read(&nic->rx_runt);
	s->rx_errors = s->rx_length_errors + s->rx_fifo_errors;
	s->rx_dropped += atomic64_read(&nic->rx_flushed) +
			 atomic64_read(&nic->rx_closed);
	s->tx_dropped = atomic64_read(&nic->tx_no_peer);
}

static const struct net_device_ops nty_nic_netdev_ops = {
	.ndo_init		= nty_nic_dev_init,
	.ndo_uninit		= nty_nic_dev_uninit,
	.ndo_open		= nty_nic_open,
	.ndo_stop		= nty_nic_stop,
	.ndo_start_xmit		= nty_nic_start_xmit,
	.ndo_get_stats64	= nty_nic_get_stats64,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_validate_addr	= eth_validate_addr,
};

/* /sys/class/net/DEV/ntynic/irq_cpus: one CPU per channel in use. */
static ssize_t irq_cpus_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	struct net_device *dev = to_net_dev(d);
	struct nty_nic *nic = netdev_priv(dev);
	unsigned int i, n = min(READ_ONCE(dev->real_num_rx_queues),
				nic->max_channels);
	int len = 0;

	for (i = 0; i < n; i++)
		len += sysfs_emit_at(buf, len, "%s%d", i ? " " : "",
				     READ_ONCE(nic->queues[i].irq_cpu));
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}

/*
 * "C0 C1 ...": channel i's interrupt to CPU Ci; the rest unchanged.  No
 * more CPUs than channels in use, the ones reading the file shows.
 */
static ssize_t irq_cpus_store(struct device *d, struct device_attribute *attr,
			      const char *buf, size_t len)
{
	struct net_device *dev = to_net_dev(d);
	struct nty_nic *nic = netdev_priv(dev);
	unsigned int in_use = min(READ_ONCE(dev->real_num_rx_queues),
				  nic->max_channels);
	int cpus[NTY_NIC_MAX_QUEUES], n = 0, cpu, used;
	const char *p = buf;
	int i;

	/*
	 * Where interrupts run is the machine's, not a namespace's: root in
	 * a container must not put them on CPUs outside its cpuset.  As
	 * store_rps_map(): CAP_NET_ADMIN in the initial namespace.
	 */
	if (!capable(CAP_NET_ADMIN))
		return -EPERM;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		if (n == in_use ||
		    sscanf(p, "%d%n", &cpu, &used) != 1)
			return -EINVAL;
		if (cpu < 0 || cpu >= nr_cpu_ids || !cpu_online(cpu))
			return -EINVAL;
		cpus[n++] = cpu;
		p += used;
	}
	if (!n)
		return -EINVAL;
	for (i = 0; i < n; i++)
		WRITE_ONCE(nic->queues[i].irq_cpu, cpus[i]);
	return len;
}
static DEVICE_ATTR_RW(irq_cpus);

static struct attribute *nty_nic_attrs[] = {
	&dev_attr_irq_cpus.attr,
	NULL
};

static const struct attribute_group nty_nic_attr_group = {
	.name	= NTY_NIC_DRV_NAME,
	.attrs	= nty_nic_attrs,
};

static void nty_nic_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	dev->priv_flags |= IFF_LIVE_ADDR_CHANGE;
	dev->netdev_ops = &nty_nic_netdev_ops;
	dev->ethtool_ops = &nty_nic_ethtool_ops;
	dev->needs_free_netdev = true;
	/* A frame must fit one RX buffer. */
	dev->max_mtu = NTY_NIC_BUF_LEN - ETH_HLEN;
	/*
	 * The "DMA" reads a frame with skb_copy_bits(), pieces and all
	 * (scatter-gather); with SG the stack keeps software GSO on and
	 * segments trains (gso.c) and TCP's GSO frames just before the
	 * device.  No checksum engine, TSO or fraglist.
	 */
	dev->hw_features |= NETIF_F_SG;
	dev->features |= NETIF_F_SG;
	/* The device's own group; netdev_register_kobject() keeps it. */
	dev->sysfs_groups[0] = &nty_nic_attr_group;
}

static int nty_nic_validate(struct nlattr *tb[], struct nlattr *data[],
			    struct netlink_ext_ack *extack)
{
	if (tb[IFLA_ADDRESS]) {
		if (nla_len(tb[IFLA_ADDRESS]) != ETH_ALEN) {
			NL_SET_ERR_MSG(extack, "ntynic: address must be 6 bytes");
			return -EINVAL;
		}
		if (!is_valid_ether_addr(nla_data(tb[IFLA_ADDRESS]))) {
			NL_SET_ERR_MSG(extack, "ntynic: invalid unicast address");
			return -EADDRNOTAVAIL;
		}
	}
	return 0;
}

/* Channels in use from "numrxqueues"/"numtxqueues", else @fallback's. */
static void nty_nic_set_channels(struct net_device *dev, struct nlattr *tb[],
				 struct nlattr *fallback[])
{
	unsigned int n = 1, max = min3(dev->num_rx_queues, dev->num_tx_queues,
				       (unsigned int)NTY_NIC_MAX_QUEUES);

	if (tb[IFLA_NUM_RX_QUEUES])
		n = nla_get_u32(tb[IFLA_NUM_RX_QUEUES]);
	else if (tb[IFLA_NUM_TX_QUEUES])
		n = nla_get_u32(tb[IFLA_NUM_TX_QUEUES]);
	else if (fallback && fallback[IFLA_NUM_RX_QUEUES])
		n = nla_get_u32(fallback[IFLA_NUM_RX_QUEUES]);
	else if (fallback && fallback[IFLA_NUM_TX_QUEUES])
		n = nla_get_u32(fallback[IFLA_NUM_TX_QUEUES]);
	n = clamp(n, 1U, max);
	netif_set_real_num_tx_queues(dev, n);
	netif_set_real_num_rx_queues(dev, n);
}

static int nty_nic_newlink(struct net *src_net, struct net_device *dev,
			   struct nlattr *tb[], struct nlattr *data[],
			   struct netlink_ext_ack *extack)
{
	struct nlattr *peer_tb[IFLA_MAX + 1], **tbp = tb;
	struct ifinfomsg *ifmp = NULL;
	unsigned char name_assign_type;
	struct net_device *peer;
	char ifname[IFNAMSIZ];
	struct net *net;
	int err;

	/* The peer first, so that a failure leaves nothing behind. */
	if (data && data[NTYNIC_INFO_PEER]) {
		ifmp = nla_data(data[NTYNIC_INFO_PEER]);
		err = rtnl_nla_parse_ifinfomsg(peer_tb, data[NTYNIC_INFO_PEER],
					       extack);
		if (err < 0)
			return err;
		err = nty_nic_validate(peer_tb, NULL, extack);
		if (err < 0)
			return err;
		tbp = peer_tb;
	}
	if (ifmp && tbp[IFLA_IFNAME]) {
		nla_strscpy(ifname, tbp[IFLA_IFNAME], IFNAMSIZ);
		name_assign_type = NET_NAME_USER;
	} else {
		snprintf(ifname, IFNAMSIZ, NTY_NIC_DRV_NAME "%%d");
		name_assign_type = NET_NAME_ENUM;
	}

	net = rtnl_link_get_net(src_net, tbp);
	if (IS_ERR(net))
		return PTR_ERR(net);
	/*
	 * As rtnl_link_get_net_capable() for veth's peer: only who may
	 * administer the peer's namespace may put a device there, or root
	 * in a container could plant one in the host's.
	 */
	if (!net_eq(net, src_net) && !ns_capable(net->user_ns, CAP_NET_ADMIN)) {
		put_net(net);
		return -EPERM;
	}
	peer = rtnl_create_link(net, ifname, name_assign_type,
				&nty_nic_link_ops, tbp, extack);
	if (IS_ERR(peer)) {
		put_net(net);
		return PTR_ERR(peer);
	}
	if (!ifmp || !tbp[IFLA_ADDRESS])
		eth_hw_addr_random(peer);
	if (ifmp && dev->ifindex)
		peer->ifindex = ifmp->ifi_index;
	nty_nic_set_channels(peer, tbp, tb);
	err = register_netdevice(peer);
	put_net(net);
	if (err < 0) {
		free_netdev(peer);
		return err;
	}
	netif_carrier_off(peer);
	err = rtnl_configure_link(peer, ifmp, 0, NULL);
	if (err < 0)
		goto err_peer;

	if (!tb[IFLA_ADDRESS])
		eth_hw_addr_random(dev);
	if (tb[IFLA_IFNAME])
		nla_strscpy(dev->name, tb[IFLA_IFNAME], IFNAMSIZ);
	else
		snprintf(dev->name, IFNAMSIZ, NTY_NIC_DRV_NAME "%%d");
	nty_nic_set_channels(dev, tb, NULL);
	err = register_netdevice(dev);
	if (err < 0)
		goto err_peer;
	netif_carrier_off(dev);

	rcu_assign_pointer(((struct nty_nic *)netdev_priv(dev))->peer, peer);
	rcu_assign_pointer(((struct nty_nic *)netdev_priv(peer))->peer, dev);
	return 0;

err_peer:
	unregister_netdevice(peer);
	return err;
}

/* Deleting either end deletes both, as with veth. */
static void nty_nic_dellink(struct net_device *dev, struct list_head *head)
{
	struct nty_nic *nic = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(nic->peer);

	/*
	 * dellink() runs before an RCU grace period: a transmitter that
	 * still sees the peer pointer finds the device alive.
	 */
	RCU_INIT_POINTER(nic->peer, NULL);
	unregister_netdevice_queue(dev, head);
	if (peer) {
		nic = netdev_priv(peer);
		RCU_INIT_POINTER(nic->peer, NULL);
		unregister_netdevice_queue(peer, head);
	}
}

static struct net *nty_nic_get_link_net(const struct net_device *dev)
{
	struct nty_nic *nic = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(nic->peer);

	return peer ? dev_net(peer) : dev_net(dev);
}

/* As a NIC, more channels than CPUs may exist; the IRQs then share CPUs. */
static unsigned int nty_nic_num_queues(void)
{
	return NTY_NIC_MAX_QUEUES;
}

static const struct nla_policy nty_nic_policy[NTYNIC_INFO_MAX + 1] = {
	[NTYNIC_INFO_PEER]	= { .len = sizeof(struct ifinfomsg) },
};

static struct rtnl_link_ops nty_nic_link_ops = {
	.kind			= NTY_NIC_DRV_NAME,
	.priv_size		= sizeof(struct nty_nic),
	.setup			= nty_nic_setup,
	.validate		= nty_nic_validate,
	.newlink		= nty_nic_newlink,
	.dellink		= nty_nic_dellink,
	.policy			= nty_nic_policy,
	.maxtype		= NTYNIC_INFO_MAX,
	.get_link_net		= nty_nic_get_link_net,
	.get_num_tx_queues	= nty_nic_num_queues,
	.get_num_rx_queues	= nty_nic_num_queues,
};

#ifdef CONFIG_FAULT_INJECTION
static DECLARE_FAULT_ATTR(nty_nic_fail_refill_attr);

/**
 * nty_nic_fail_refill - should this RX buffer allocation fail?
 *
 * A disarmed point costs one load, not should_fail()'s random draw.
 *
 * Return: true to leave the descriptor without a buffer.
 */
bool nty_nic_fail_refill(void)
{
	return unlikely(READ_ONCE(nty_nic_fail_refill_attr.probability)) &&
	       should_fail(&nty_nic_fail_refill_attr, 1);
}
#endif

/**
 * nty_nic_debugfs - the driver's failure point, fail_nic_refill, in @dir
 * @dir: a debugfs directory its caller owns (NTY's)
 *
 * A driver's own fault_attr, as netdevsim keeps its own: it starves the
 * RX rings of buffers whatever protocol runs over them.
 */
void nty_nic_debugfs(struct dentry *dir)
{
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	fault_create_debugfs_attr("fail_nic_refill", dir,
				  &nty_nic_fail_refill_attr);
#endif
}

/**
 * nty_nic_init - register the ntynic link type
 *
 * Return: 0 or a negative errno.
 */
int nty_nic_init(void)
{
	return rtnl_link_register(&nty_nic_link_ops);
}

/**
 * nty_nic_exit - unregister the link type, deleting every ntynic
 */
void nty_nic_exit(void)
{
	rtnl_link_unregister(&nty_nic_link_ops);
}

MODULE_ALIAS_RTNL_LINK(NTY_NIC_DRV_NAME);

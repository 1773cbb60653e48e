// SPDX-License-Identifier: GPL-2.0
/*
 * Stage 1, the wire and the descriptor rings.  A frame one ntynic sends
 * is put on its TX ring and kept there, as a real NIC keeps it until the
 * TX completion; meanwhile the "DMA" copies it into the next ready
 * descriptor of one of the peer's RX rings, chosen by RSS, without the
 * receiving CPU: the copy runs on the sending CPU, under the ring's
 * producer lock.  A ring with no ready descriptor drops the frame and
 * counts it (ethtool -S rxN_ring_full, rx_missed_errors), as a NIC does
 * when its driver has not kept up.  Each completed descriptor, on either
 * side, is an event for that channel's interrupt (nic_irq.c).
 */
#include <linux/etherdevice.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <net/flow_dissector.h>

#include "compat.h"
#include "nic.h"

/*
 * The RSS hash.  Real NICs hash the IP 5-tuple (Toeplitz).  ntynic's wire
 * is memory, so it takes the hash the sender's stack left on the frame
 * when there is one (a flow's, PKT_HASH_TYPE_L4, as virtio-net's hash
 * report hands it across), and asks the flow dissector otherwise: every
 * flow stays on one ring, whatever protocol it is.
 */
static u32 nty_nic_rss_hash(struct sk_buff *skb)
{
	return skb_get_hash(skb);
}

/*
 * The "DMA": copy @skb into a ready descriptor of one of @peer's RX rings
 * and raise that channel's interrupt event.  Every outcome is counted on
 * the receiving side, as a NIC counts what it could not take.
 */
static void nty_nic_dma(struct net_device *peer, struct sk_buff *skb)
{
	struct nty_nic *pnic = netdev_priv(peer);
	unsigned int n = READ_ONCE(peer->real_num_rx_queues);
	struct nty_nic_queue *q;
	struct nty_nic_rx_desc *d;
	u32 state, hash;

	if (skb->len > NTY_NIC_BUF_LEN) {
		atomic64_inc(&pnic->rx_too_long);
		return;
	}
	/*
	 * A frame too short to hold an Ethernet header (AF_PACKET lets
	 * CAP_SYS_RAWIO send one) is a runt no MAC passes up.
	 */
	if (skb->len < ETH_HLEN) {
		atomic64_inc(&pnic->rx_runt);
		return;
	}
	n = min(n, pnic->max_channels);
	hash = nty_nic_rss_hash(skb);
	q = &pnic->queues[reciprocal_scale(hash, n)];
	spin_lock(&q->rx_lock);
	if (!q->rx_open) {
		spin_unlock(&q->rx_lock);
		atomic64_inc(&pnic->rx_closed);
		return;
	}
	d = &q->rx_ring[q->rx_prod & (q->rx_size - 1)];
	/* Pairs with the poll's release when it refills the descriptor. */
	state = smp_load_acquire(&d->state);
	if (state != NTY_DESC_READY) {
		u64_stats_update_begin(&q->stats.ring_syncp);
		u64_stats_inc(&q->stats.ring_full);
		u64_stats_update_end(&q->stats.ring_syncp);
		spin_unlock(&q->rx_lock);
		return;
	}
	if (skb_copy_bits(skb, 0, page_address(d->page) + NTY_NIC_HEADROOM,
			  skb->len)) {
		spin_unlock(&q->rx_lock);
		atomic64_inc(&pnic->rx_too_long);
		return;
	}
	/*
	 * An Ethernet MAC pads what it sends to the 60-byte minimum frame;
	 * the receiver finds the padding where hardware leaves it.
	 */
	d->len = skb->len;
	if (d->len < ETH_ZLEN) {
		memset(page_address(d->page) + NTY_NIC_HEADROOM + d->len, 0,
		       ETH_ZLEN - d->len);
		d->len = ETH_ZLEN;
	}
	d->hash = hash;
	d->l4_hash = skb->l4_hash;
	d->t_ring = ktime_get_ns();
	/* The frame is written before the poll may see DONE. */
	smp_store_release(&d->state, NTY_DESC_DONE);
	q->rx_prod++;
	u64_stats_update_begin(&q->stats.ring_syncp);
	u64_stats_inc(&q->stats.rx_dma);
	u64_stats_update_end(&q->stats.ring_syncp);
	spin_unlock(&q->rx_lock);

	nty_nic_irq_event(q, false);
}

/**
 * nty_nic_start_xmit - ndo_start_xmit: put @skb on the TX ring and on the
 *	wire
 * @skb: the frame
 * @dev: the sending ntynic
 *
 * Runs under the TX queue's lock.  The skb stays on the TX ring, charged
 * to BQL and to its socket, until the poll reaps the completion.
 *
 * Return: NETDEV_TX_OK, or NETDEV_TX_BUSY if the ring was full (the queue
 * is stopped before that can happen).
 */
netdev_tx_t nty_nic_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct nty_nic *nic = netdev_priv(dev);
	u16 qi = skb_get_queue_mapping(skb);
	struct nty_nic_queue *q = &nic->queues[qi];
	struct netdev_queue *txq = netdev_get_tx_queue(dev, qi);
	unsigned int len = skb->len;
	struct nty_nic_tx_desc *d;
	struct net_device *peer;
	bool full;

	if (unlikely(nty_nic_tx_used(q) >= q->tx_size)) {
		netif_tx_stop_queue(txq);
		return NETDEV_TX_BUSY;
	}
	skb_tx_timestamp(skb);

	rcu_read_lock();
	peer = rcu_dereference(nic->peer);
	if (likely(peer && netif_running(peer)))
		nty_nic_dma(peer, skb);
	else
		atomic64_inc(&nic->tx_no_peer);
	rcu_read_unlock();

	d = &q->tx_ring[q->tx_head & (q->tx_size - 1)];
	d->skb = skb;
	d->len = len;
	netdev_tx_sent_queue(txq, len);
	/* The descriptor is filled before the poll may reap it. */
	smp_store_release(&q->tx_head, q->tx_head + 1);

	full = nty_nic_tx_used(q) >= q->tx_size;
	u64_stats_update_begin(&q->stats.tx_syncp);
	u64_stats_inc(&q->stats.tx_packets);
	u64_stats_add(&q->stats.tx_bytes, len);
	if (full)
		u64_stats_inc(&q->stats.tx_ring_full);
	u64_stats_update_end(&q->stats.tx_syncp);

	if (full) {
		netif_tx_stop_queue(txq);
		/* Pairs with the barrier in nty_nic_tx_reap(). */
		smp_mb();
		if (nty_nic_tx_used(q) < q->tx_size)
			netif_tx_start_queue(txq);
	}

	nty_nic_irq_event(q, true);
	return NETDEV_TX_OK;
}

/*
 * Over the cgroup's limit the request fails with -ENOMEM (ethtool says
 * so, the old rings stay) rather than calling the OOM killer.
 */
#define NTY_NIC_GFP_RING	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | \
				 __GFP_NOWARN)

/**
 * nty_nic_rings_alloc - give channel @q its rings, every RX descriptor
 *	with a buffer, as a driver does at open
 * @q: the channel
 * @rx_size: RX descriptors (a power of two)
 * @tx_size: TX descriptors (a power of two)
 *
 * Return: 0, or -ENOMEM with nothing allocated.
 */
int nty_nic_rings_alloc(struct nty_nic_queue *q, u32 rx_size, u32 tx_size)
{
	struct page_pool_params pp = {
		.order		= 0,
		.pool_size	= rx_size,
		.nid		= NUMA_NO_NODE,
	};
	struct page_pool *pool;
	u32 i;

	/*
	 * Process context (link creation, ethtool -G/-L): the rings and
	 * their first buffers are charged to the memory cgroup of whoever
	 * asked for them, as veth charges its queues, and never come from
	 * the emergency reserves (dev_alloc_page() is __GFP_MEMALLOC).
	 */
	q->rx_ring = kvcalloc(rx_size, sizeof(*q->rx_ring), NTY_NIC_GFP_RING);
	q->tx_ring = kvcalloc(tx_size, sizeof(*q->tx_ring), NTY_NIC_GFP_RING);
	if (!q->rx_ring || !q->tx_ring)
		goto err;
	/*
	 * One pool per RX ring, as a driver has: its NAPI poll is the only
	 * consumer, so a page freed in that poll's softirq goes back without
	 * a lock, and the refill takes it again (nic_napi.c).  No DMA
	 * mapping: the "DMA" is a memcpy.
	 */
	nty_page_pool_set_napi(&pp, &q->napi);
	pool = page_pool_create(&pp);
	if (IS_ERR(pool))
		goto err;
	q->page_pool = pool;
	for (i = 0; i < rx_size; i++) {
		q->rx_ring[i].page = page_pool_alloc_pages(pool,
							   NTY_NIC_GFP_RING);
		if (!q->rx_ring[i].page)
			goto err;
		q->rx_ring[i].state = NTY_DESC_READY;
	}
	q->rx_size = rx_size;
	q->tx_size = tx_size;
	q->rx_prod = 0;
	q->rx_clean = 0;
	q->rx_fill = 0;
	q->tx_head = 0;
	q->tx_tail = 0;
	return 0;
err:
	q->rx_size = rx_size;
	nty_nic_rings_free(q);
	return -ENOMEM;
}

/**
 * nty_nic_rings_free - free channel @q's rings; frames the poll never
 *	took are counted in rx_flushed
 * @q: the channel, its producers closed and its NAPI disabled
 */
void nty_nic_rings_free(struct nty_nic_queue *q)
{
	struct nty_nic *nic = netdev_priv(q->dev);
	u32 i;

	if (q->rx_ring) {
		for (i = 0; i < q->rx_size; i++) {
			if (q->rx_ring[i].state == NTY_DESC_DONE)
				atomic64_inc(&nic->rx_flushed);
			if (q->rx_ring[i].page)
				page_pool_put_full_page(q->page_pool,
							q->rx_ring[i].page,
							false);
		}
	}
	/*
	 * Pages still in skbs (a socket's queue) keep the pool until they
	 * come back; page_pool_destroy() frees it then.
	 */
	if (q->page_pool)
		page_pool_destroy(q->page_pool);
	q->page_pool = NULL;
	kvfree(q->rx_ring);
	kvfree(q->tx_ring);
	q->rx_ring = NULL;
	q->tx_ring = NULL;
	q->rx_size = 0;
	q->tx_size = 0;
}

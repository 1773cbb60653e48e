// SPDX-License-Identifier: GPL-2.0
/*
 * Stage 3, the NIC's NAPI poll, run by net_rx_action() on the CPU whose
 * hard IRQ scheduled it.  Within its budget (the weight, 64) it reaps TX
 * completions (freeing the sent skbs, telling BQL), takes completed RX
 * descriptors, builds an skb around each buffer with no copy
 * (napi_build_skb), lets eth_type_trans() and GRO (ethtool -K gro) have
 * it, and gives the descriptor a fresh buffer from the channel's page
 * pool, where the skbs this poll freed have put theirs back.  When it finishes under
 * budget it completes NAPI and unmasks the interrupt; a poll that used
 * its whole budget stays scheduled, as the kernel expects.  A buffer it
 * could not allocate is retried from the interrupt's timer a millisecond
 * later, not by spinning in softirq.
 */
#include <linux/etherdevice.h>
#include <linux/skbuff.h>

#include "compat.h"
#include "nic.h"
#include "nic_trace.h"

/**
 * nty_nic_tx_reap - reap channel @q's TX completions
 * @q: the channel
 * @budget: the poll's budget; 0 outside NAPI (the skbs are then freed
 *	with dev_kfree_skb_any)
 */
void nty_nic_tx_reap(struct nty_nic_queue *q, int budget)
{
	struct netdev_queue *txq = netdev_get_tx_queue(q->dev, q->index);
	unsigned int pkts = 0, bytes = 0;
	struct nty_nic_tx_desc *d;
	u32 head;

	/* Pairs with the transmit side's release: descriptors are filled. */
	head = smp_load_acquire(&q->tx_head);

	while (q->tx_tail != head) {
		d = &q->tx_ring[q->tx_tail & (q->tx_size - 1)];
		pkts++;
		bytes += d->len;
		napi_consume_skb(d->skb, budget);
		d->skb = NULL;
		q->tx_tail++;
	}
	if (!pkts)
		return;
	netdev_tx_completed_queue(txq, pkts, bytes);
	u64_stats_update_begin(&q->stats.rx_syncp);
	u64_stats_add(&q->stats.tx_completed, pkts);
	u64_stats_update_end(&q->stats.rx_syncp);
	/* Pairs with the barrier in nty_nic_start_xmit(). */
	smp_mb();
	if (netif_tx_queue_stopped(txq) && nty_nic_tx_used(q) < q->tx_size)
		netif_tx_wake_queue(txq);
}

/**
 * nty_nic_refill - give every taken RX descriptor a new buffer
 * @q: the channel
 *
 * A failed allocation leaves the rest empty; the device finds no ready
 * descriptor there and drops, as a NIC starved of buffers does.
 */
void nty_nic_refill(struct nty_nic_queue *q)
{
	struct nty_nic_rx_desc *d;
	struct page *page;

	while (q->rx_fill != q->rx_clean) {
		d = &q->rx_ring[q->rx_fill & (q->rx_size - 1)];
		/*
		 * A recycled page when the pool has one; else a new one,
		 * atomic, but not from the reserves that __GFP_MEMALLOC
		 * (dev_alloc_page()) opens: a ring any container can make
		 * must not drain them.
		 */
		page = nty_nic_fail_refill() ? NULL :
		       page_pool_dev_alloc_pages(q->page_pool);
		if (!page) {
			u64_stats_update_begin(&q->stats.rx_syncp);
			u64_stats_inc(&q->stats.refill_failures);
			u64_stats_update_end(&q->stats.rx_syncp);
			return;
		}
		d->page = page;
		/* The buffer is set before the device may write into it. */
		smp_store_release(&d->state, NTY_DESC_READY);
		q->rx_fill++;
	}
}

/* Take up to @budget completed RX descriptors to the stack. */
static int nty_nic_rx(struct nty_nic_queue *q, int budget)
{
	unsigned int bytes = 0;
	struct nty_nic_rx_desc *d;
	struct sk_buff *skb;
	int work = 0, lost = 0;
	struct page *page;
	u32 len, hash, l4_hash;
	u64 t_ring;

	while (work + lost < budget) {
		d = &q->rx_ring[q->rx_clean & (q->rx_size - 1)];
		/* Pairs with the "DMA"'s release: the frame is in the page. */
		if (smp_load_acquire(&d->state) != NTY_DESC_DONE)
			break;
		page = d->page;
		len = d->len;
		t_ring = d->t_ring;
		hash = d->hash;
		l4_hash = d->l4_hash;
		d->page = NULL;
		WRITE_ONCE(d->state, NTY_DESC_EMPTY);
		q->rx_clean++;

		skb = napi_build_skb(page_address(page), PAGE_SIZE);
		if (unlikely(!skb)) {
			page_pool_recycle_direct(q->page_pool, page);
			lost++;
			continue;
		}
		/* Freeing the skb gives the page back to the pool. */
		skb_mark_for_recycle(skb);
		skb_reserve(skb, NTY_NIC_HEADROOM);
		skb_put(skb, len);
		/*
		 * What a NIC reports with a frame: when it hit the ring (the
		 * receive timestamp, on CLOCK_MONOTONIC), the ring and the
		 * RSS hash, as PKT_HASH_TYPE_L4 when it was a flow's.
		 */
		skb_hwtstamps(skb)->hwtstamp = ns_to_ktime(t_ring);
		skb_record_rx_queue(skb, q->index);
		if (hash)
			skb_set_hash(skb, hash, l4_hash ? PKT_HASH_TYPE_L4 :
							  PKT_HASH_TYPE_L3);
		skb->protocol = eth_type_trans(skb, q->dev);
		bytes += len;
		work++;
		napi_gro_receive(&q->napi, skb);
	}
	u64_stats_update_begin(&q->stats.rx_syncp);
	u64_stats_add(&q->stats.rx_packets, work);
	u64_stats_add(&q->stats.rx_bytes, bytes);
	u64_stats_add(&q->stats.build_failures, lost);
	u64_stats_update_end(&q->stats.rx_syncp);
	return work + lost;
}

/**
 * nty_nic_poll - the channel's NAPI poll
 * @napi: the channel's NAPI instance
 * @budget: frames it may take (the weight)
 *
 * Return: RX descriptors taken; @budget keeps the poll scheduled.
 */
int nty_nic_poll(struct napi_struct *napi, int budget)
{
	struct nty_nic_queue *q = container_of(napi, struct nty_nic_queue,
					       napi);
	int work;

	trace_nty_nic_poll_start(q->dev, q->index, READ_ONCE(q->irq_time),
				 !q->irq_polled);
	q->irq_polled = true;
	nty_nic_tx_reap(q, budget);
	work = nty_nic_rx(q, budget);
	nty_nic_refill(q);

	u64_stats_update_begin(&q->stats.rx_syncp);
	u64_stats_inc(&q->stats.polls);
	if (work >= budget)
		u64_stats_inc(&q->stats.budget_exhausted);
	u64_stats_update_end(&q->stats.rx_syncp);
	trace_nty_nic_poll(q->dev, q->index, work, budget);

	if (work < budget && napi_complete_done(napi, work)) {
		nty_nic_irq_unmask(q);
		/* Descriptors left without a buffer: try again soon. */
		if (q->rx_fill != q->rx_clean)
			nty_nic_irq_refill_retry(q);
	}
	return min(work, budget);
}

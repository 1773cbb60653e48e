/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ntynic, NTY's virtual Ethernet NIC: what its stages (nic_ring.c, the
 * wire and the descriptor rings; nic_irq.c, the interrupt and its
 * coalescing; nic_napi.c, the poll; nic.c, the device; nic_ethtool.c)
 * share.  A pair of devices, like veth, but a frame crosses from one to
 * the other the way it crosses a real NIC: into a descriptor of the
 * receiver's RX ring, then an interrupt, then a NAPI poll.
 */
#ifndef _NTY_NIC_H
#define _NTY_NIC_H

#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/netdevice.h>
#include <linux/smp.h>
#include <linux/u64_stats_sync.h>

struct page_pool;

#define NTY_NIC_DRV_NAME	"ntynic"
#define NTY_NIC_MAX_QUEUES	8
#define NTY_NIC_RING_DEFAULT	256
#define NTY_NIC_RING_MIN	8
#define NTY_NIC_RING_MAX	4096
#define NTY_NIC_MAX_USECS	1000000
#define NTY_NIC_REFILL_RETRY_US	1000

/*
 * Each RX buffer is one page of the channel's page pool: headroom, the
 * frame, then skb_shared_info.
 */
#define NTY_NIC_HEADROOM	NET_SKB_PAD
#define NTY_NIC_BUF_LEN		(PAGE_SIZE - NTY_NIC_HEADROOM - \
				 SKB_DATA_ALIGN(sizeof(struct skb_shared_info)))

/* Who owns an RX descriptor: the driver refills it, the "DMA" fills it. */
enum nty_nic_desc_state {
	NTY_DESC_EMPTY,		/* no buffer: the poll must refill it */
	NTY_DESC_READY,		/* buffer given to the device */
	NTY_DESC_DONE,		/* frame written, for the poll to take */
};

/**
 * struct nty_nic_rx_desc - one RX descriptor
 * @page: its buffer
 * @len: frame length, valid once DONE
 * @state: enum nty_nic_desc_state; release/acquire orders the buffer
 * @hash: the RSS hash that chose this ring, reported on the skb
 * @l4_hash: @hash is a flow's (PKT_HASH_TYPE_L4), not just an address pair's
 * @t_ring: CLOCK_MONOTONIC ns the frame landed: its receive timestamp
 */
struct nty_nic_rx_desc {
	struct page	*page;
	u32		len;
	u32		state;
	u32		hash;
	u32		l4_hash;
	u64		t_ring;
};

/**
 * struct nty_nic_tx_desc - one TX descriptor: a sent frame until its
 *	completion is reaped
 * @skb: the frame
 * @len: its length, for BQL
 */
struct nty_nic_tx_desc {
	struct sk_buff	*skb;
	unsigned int	len;
};

/* Why an interrupt fired (ethtool -S rxN_irq_*). */
enum nty_nic_irq_cause {
	NTY_NIC_IRQ_FRAMES,	/* rx-frames or tx-frames reached */
	NTY_NIC_IRQ_TIMER,	/* rx-usecs or tx-usecs expired */
	NTY_NIC_IRQ_REARM,	/* work found when the poll unmasked */
	__NTY_NIC_IRQ_MAX
};

/**
 * struct nty_nic_queue_stats - one channel's counters, each group with
 *	the single writer that serialises it
 * @rx_syncp: guards the poll's counters
 * @rx_packets: frames the poll handed to the stack
 * @rx_bytes: their bytes
 * @polls: poll calls
 * @budget_exhausted: polls that used their whole budget
 * @refill_failures: buffers the poll could not allocate
 * @build_failures: frames lost because no skb could be built
 * @tx_completed: TX completions reaped
 * @ring_syncp: guards the producer's counters (under rx_lock)
 * @rx_dma: frames the peer's "DMA" wrote into the ring
 * @ring_full: frames dropped because no descriptor was ready
 * @irq_syncp: guards the interrupt's counters (under irq_lock)
 * @irqs: hard IRQs handled
 * @irq_causes: raised interrupts by enum nty_nic_irq_cause
 * @tx_syncp: guards the transmit counters (under the TX queue lock)
 * @tx_packets: frames sent
 * @tx_bytes: their bytes
 * @tx_ring_full: times the TX ring filled and the queue stopped
 */
struct nty_nic_queue_stats {
	struct u64_stats_sync	rx_syncp;
	u64_stats_t		rx_packets;
	u64_stats_t		rx_bytes;
	u64_stats_t		polls;
	u64_stats_t		budget_exhausted;
	u64_stats_t		refill_failures;
	u64_stats_t		build_failures;
	u64_stats_t		tx_completed;
	struct u64_stats_sync	ring_syncp;
	u64_stats_t		rx_dma;
	u64_stats_t		ring_full;
	struct u64_stats_sync	irq_syncp;
	u64_stats_t		irqs;
	u64_stats_t		irq_causes[__NTY_NIC_IRQ_MAX];
	struct u64_stats_sync	tx_syncp;
	u64_stats_t		tx_packets;
	u64_stats_t		tx_bytes;
	u64_stats_t		tx_ring_full;
};

/**
 * struct nty_nic_queue - one channel: an RX ring, a TX ring, an interrupt
 *	and the NAPI instance its interrupt schedules
 * @dev: the device
 * @index: channel number
 * @rx_lock: serialises the producers (peer transmitters) of @rx_ring
 * @rx_open: producers may write into @rx_ring (under @rx_lock)
 * @rx_ring: RX descriptors, @rx_size of them (a power of two)
 * @rx_size: ring size
 * @rx_prod: next descriptor the "DMA" fills (under @rx_lock)
 * @rx_clean: next descriptor the poll takes
 * @rx_fill: next descriptor the poll refills; [@rx_fill, @rx_clean) are empty
 * @page_pool: where @rx_ring's buffers come from and return to
 * @tx_ring: TX descriptors, @tx_size of them (a power of two)
 * @tx_size: ring size
 * @tx_head: next TX descriptor to use (transmit side)
 * @tx_tail: next TX descriptor to complete (poll)
 * @irq_lock: guards the interrupt state below
 * @running: the channel is up; interrupts may be raised
 * @irq_masked: the interrupt is masked: NAPI is scheduled or polling
 * @irq_raised: an interrupt is on its way to @irq_cpu
 * @timer_armed: @coalesce_timer is pending
 * @rx_pending: RX completions since the interrupt was last unmasked
 * @tx_pending: TX completions since then
 * @refill_retry: the timer is to interrupt for a failed refill
 * @coalesce_timer: fires rx-usecs/tx-usecs after the first completion
 * @irq_work: delivers the interrupt when @irq_cpu is the raising CPU
 * @irq_csd: delivers it to another CPU, by IPI
 * @irq_inflight: interrupts raised and not yet handled
 * @irq_cpu: the CPU the interrupt is bound to
 * @irq_time: CLOCK_MONOTONIC ns of the last hard IRQ
 * @irq_polled: a poll has run since @irq_time (nty_nic_poll_start's @first)
 * @napi: the NAPI instance
 * @stats: counters
 */
struct nty_nic_queue {
	struct net_device	*dev;
	u16			index;

	spinlock_t		rx_lock;	/* producers of @rx_ring */
	bool			rx_open;
	struct nty_nic_rx_desc	*rx_ring;
	u32			rx_size;
	u32			rx_prod;
	u32			rx_clean;
	u32			rx_fill;
	struct page_pool	*page_pool;

	struct nty_nic_tx_desc	*tx_ring;
	u32			tx_size;
	u32			tx_head;
	u32			tx_tail;

	spinlock_t		irq_lock;	/* interrupt state */
	bool			running;
	bool			irq_masked;
	bool			irq_raised;
	bool			timer_armed;
	u32			rx_pending;
	u32			tx_pending;
	bool			refill_retry;
	struct hrtimer		coalesce_timer;
	struct irq_work		irq_work;
	call_single_data_t	irq_csd;
	atomic_t		irq_inflight;
	int			irq_cpu;
	u64			irq_time;
	bool			irq_polled;

	struct napi_struct	napi;
	struct nty_nic_queue_stats stats;
};

/**
 * struct nty_nic - one end of an ntynic pair
 * @dev: this end
 * @peer: the other end; NULL once either is being deleted
 * @queues: channels, as many as the device's queues allow
 * @max_channels: length of @queues
 * @rx_ring_size: RX descriptors per channel (ethtool -G rx)
 * @tx_ring_size: TX descriptors per channel (ethtool -G tx)
 * @rx_frames: coalescing, completions before an interrupt (0 = no limit)
 * @rx_usecs: coalescing, µs after the first completion (0 = no timer)
 * @tx_frames: the same for TX completions
 * @tx_usecs: the same for TX completions
 * @rx_flushed: frames still in a ring when it was taken down
 * @rx_closed: frames that found the receiving channel down
 * @rx_too_long: frames larger than an RX buffer
 * @rx_runt: frames shorter than an Ethernet header, dropped by the MAC
 * @tx_no_peer: frames sent while the peer was gone or down
 */
struct nty_nic {
	struct net_device		*dev;
	struct net_device __rcu		*peer;
	struct nty_nic_queue		*queues;
	unsigned int			max_channels;
	u32				rx_ring_size;
	u32				tx_ring_size;
	u32				rx_frames;
	u32				rx_usecs;
	u32				tx_frames;
	u32				tx_usecs;
	atomic64_t			rx_flushed;
	atomic64_t			rx_closed;
	atomic64_t			rx_too_long;
	atomic64_t			rx_runt;
	atomic64_t			tx_no_peer;
};

/* nic_ring.c: the transmit side, the wire and the RX ring's producer. */
netdev_tx_t nty_nic_start_xmit(struct sk_buff *skb, struct net_device *dev);
int nty_nic_rings_alloc(struct nty_nic_queue *q, u32 rx_size, u32 tx_size);
void nty_nic_rings_free(struct nty_nic_queue *q);
static inline u32 nty_nic_tx_used(const struct nty_nic_queue *q)
{
	return READ_ONCE(q->tx_head) - READ_ONCE(q->tx_tail);
}

/* nic_irq.c: the interrupt. */
void nty_nic_irq_init(struct nty_nic_queue *q);
void nty_nic_irq_event(struct nty_nic_queue *q, bool tx);
void nty_nic_irq_unmask(struct nty_nic_queue *q);
void nty_nic_irq_refill_retry(struct nty_nic_queue *q);
void nty_nic_irq_start(struct nty_nic_queue *q);
void nty_nic_irq_stop(struct nty_nic_queue *q);

/* nic_napi.c: the poll. */
int nty_nic_poll(struct napi_struct *napi, int budget);
void nty_nic_refill(struct nty_nic_queue *q);
void nty_nic_tx_reap(struct nty_nic_queue *q, int budget);

/* nic_ethtool.c */
extern const struct ethtool_ops nty_nic_ethtool_ops;

/* nic.c: the device, the link type and the driver's fault point. */
struct dentry;
int nty_nic_init(void);
void nty_nic_exit(void);
void nty_nic_debugfs(struct dentry *dir);
#ifdef CONFIG_FAULT_INJECTION
bool nty_nic_fail_refill(void);
#else
static inline bool nty_nic_fail_refill(void) { return false; }
#endif
int nty_nic_channels_down(struct net_device *dev);
int nty_nic_channels_up(struct net_device *dev);
void nty_nic_queue_stats_read(const struct nty_nic_queue *q, u64 *out);

/* The per-channel counters, in ethtool -S order. */
enum nty_nic_qstat {
	NTY_NIC_QS_RX_PACKETS,
	NTY_NIC_QS_RX_BYTES,
	NTY_NIC_QS_RX_DMA,
	NTY_NIC_QS_RING_FULL,
	NTY_NIC_QS_REFILL_FAILURES,
	NTY_NIC_QS_BUILD_FAILURES,
	NTY_NIC_QS_IRQS,
	NTY_NIC_QS_IRQ_FRAMES,
	NTY_NIC_QS_IRQ_TIMER,
	NTY_NIC_QS_IRQ_REARM,
	NTY_NIC_QS_POLLS,
	NTY_NIC_QS_BUDGET_EXHAUSTED,
	NTY_NIC_QS_TX_PACKETS,
	NTY_NIC_QS_TX_BYTES,
	NTY_NIC_QS_TX_COMPLETED,
	NTY_NIC_QS_TX_RING_FULL,
	__NTY_NIC_QS_MAX
};

extern const char * const nty_nic_qstat_names[__NTY_NIC_QS_MAX];

#endif /* _NTY_NIC_H */

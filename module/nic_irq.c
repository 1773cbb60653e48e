// SPDX-License-Identifier: GPL-2.0
/*
 * Stage 2, the hard IRQ.  Each channel has one interrupt, bound to a CPU
 * (/sys/class/net/DEV/ntynic/irq_cpus), delivered in hard-IRQ context on
 * that CPU: by irq_work when the raising CPU is the bound one, by IPI
 * otherwise.  The handler does what a NIC driver's does and no more: it
 * masks the channel's interrupt, notes the time, and schedules the NAPI
 * poll on its CPU (napi_schedule_irqoff), which raises NET_RX_SOFTIRQ.
 *
 * Coalescing (ethtool -C): while unmasked, the interrupt fires once
 * rx-frames RX completions (or tx-frames TX completions) have gathered,
 * or rx-usecs (tx-usecs) after the first of them, whichever comes first.
 * While masked, completions raise nothing: the poll will find them.  The
 * poll unmasks when it is done and counts what completed meanwhile as
 * already pending, firing at once if that reaches the threshold.
 */
#include <linux/interrupt.h>
#include <linux/smp.h>

#include "nic.h"
#include "nic_trace.h"

/* The handler: hard-IRQ context, on the CPU the interrupt is bound to. */
static void nty_nic_irq_handler(struct nty_nic_queue *q)
{
	bool run;

	spin_lock(&q->irq_lock);
	q->irq_raised = false;
	run = q->running;
	if (run) {
		q->irq_masked = true;
		q->rx_pending = 0;
		q->tx_pending = 0;
		q->refill_retry = false;
		q->irq_time = ktime_get_ns();
		q->irq_polled = false;
		u64_stats_update_begin(&q->stats.irq_syncp);
		u64_stats_inc(&q->stats.irqs);
		u64_stats_update_end(&q->stats.irq_syncp);
	}
	spin_unlock(&q->irq_lock);
	if (run) {
		trace_nty_nic_irq(q->dev, q->index);
		napi_schedule_irqoff(&q->napi);
	}
	/* Last touch of @q: nty_nic_irq_stop() waits for this. */
	atomic_dec(&q->irq_inflight);
}

static void nty_nic_irq_work(struct irq_work *work)
{
	nty_nic_irq_handler(container_of(work, struct nty_nic_queue, irq_work));
}

static void nty_nic_irq_ipi(void *data)
{
	nty_nic_irq_handler(data);
}

/* Send the interrupt to its CPU.  Called with irq_lock held. */
static void nty_nic_raise(struct nty_nic_queue *q, enum nty_nic_irq_cause cause)
{
	int cpu = READ_ONCE(q->irq_cpu);

	q->irq_raised = true;
	if (q->timer_armed) {
		/* A running callback finds irq_raised and does nothing. */
		hrtimer_try_to_cancel(&q->coalesce_timer);
		q->timer_armed = false;
	}
	u64_stats_update_begin(&q->stats.irq_syncp);
	u64_stats_inc(&q->stats.irq_causes[cause]);
	u64_stats_update_end(&q->stats.irq_syncp);

	atomic_inc(&q->irq_inflight);
	if (cpu != smp_processor_id()) {
		int err = smp_call_function_single_async(cpu, &q->irq_csd);

		if (!err)
			return;
		if (err == -EBUSY) {
			/* Still queued from before: that delivery will do. */
			atomic_dec(&q->irq_inflight);
			return;
		}
		/*
		 * -ENXIO: the CPU went offline.  As the kernel moves a dying
		 * CPU's interrupts to one that stays, the channel's moves
		 * here (irq_cpus shows it), or it would never fire again.
		 */
		WRITE_ONCE(q->irq_cpu, smp_processor_id());
	}
	if (!irq_work_queue(&q->irq_work))
		atomic_dec(&q->irq_inflight);
}

/* Start the coalescing timer, or bring it forward.  irq_lock held. */
static void nty_nic_arm(struct nty_nic_queue *q, u32 usecs)
{
	ktime_t t = ktime_add_us(ktime_get(), usecs);

	if (q->timer_armed &&
	    ktime_before(hrtimer_get_expires(&q->coalesce_timer), t))
		return;
	q->timer_armed = true;
	hrtimer_start(&q->coalesce_timer, t, HRTIMER_MODE_ABS_HARD);
}

static enum hrtimer_restart nty_nic_coalesce_timer(struct hrtimer *timer)
{
	struct nty_nic_queue *q = container_of(timer, struct nty_nic_queue,
					       coalesce_timer);
	unsigned long flags;

	spin_lock_irqsave(&q->irq_lock, flags);
	q->timer_armed = false;
	if (q->running && !q->irq_masked && !q->irq_raised &&
	    (q->rx_pending || q->tx_pending || q->refill_retry))
		nty_nic_raise(q, NTY_NIC_IRQ_TIMER);
	spin_unlock_irqrestore(&q->irq_lock, flags);
	return HRTIMER_NORESTART;
}

/* Fire now, or arm the timer, for what is pending.  irq_lock held. */
static void nty_nic_coalesce(struct nty_nic_queue *q,
			     enum nty_nic_irq_cause cause)
{
	struct nty_nic *nic = netdev_priv(q->dev);
	u32 rx_frames = READ_ONCE(nic->rx_frames);
	u32 tx_frames = READ_ONCE(nic->tx_frames);
	u32 rx_usecs = READ_ONCE(nic->rx_usecs);
	u32 tx_usecs = READ_ONCE(nic->tx_usecs);

	if ((q->rx_pending && rx_frames && q->rx_pending >= rx_frames) ||
	    (q->tx_pending && tx_frames && q->tx_pending >= tx_frames)) {
		nty_nic_raise(q, cause);
		return;
	}
	if (q->rx_pending && rx_usecs)
		nty_nic_arm(q, rx_usecs);
	if (q->tx_pending && tx_usecs)
		nty_nic_arm(q, tx_usecs);
}

/**
 * nty_nic_irq_event - a descriptor of channel @q completed
 * @q: the channel
 * @tx: a TX completion (else an RX one)
 *
 * Any context; the caller may hold the ring's producer lock.
 */
void nty_nic_irq_event(struct nty_nic_queue *q, bool tx)
{
	unsigned long flags;

	spin_lock_irqsave(&q->irq_lock, flags);
	if (q->running && !q->irq_masked && !q->irq_raised) {
		if (tx)
			q->tx_pending++;
		else
			q->rx_pending++;
		nty_nic_coalesce(q, NTY_NIC_IRQ_FRAMES);
	}
	spin_unlock_irqrestore(&q->irq_lock, flags);
}

/* Completed RX descriptors the poll has not taken (at most the ring). */
static u32 nty_nic_rx_done(const struct nty_nic_queue *q)
{
	const struct nty_nic_rx_desc *d;
	u32 n;

	for (n = 0; n < q->rx_size; n++) {
		d = &q->rx_ring[(q->rx_clean + n) & (q->rx_size - 1)];
		/* Pairs with the "DMA"'s release of a finished descriptor. */
		if (smp_load_acquire(&d->state) != NTY_DESC_DONE)
			break;
	}
	return n;
}

/**
 * nty_nic_irq_unmask - the poll is done: unmask the interrupt
 * @q: the channel
 *
 * What completed after the poll's last look is pending from now on; if it
 * already reaches the threshold the interrupt fires again at once.
 */
void nty_nic_irq_unmask(struct nty_nic_queue *q)
{
	unsigned long flags;

	spin_lock_irqsave(&q->irq_lock, flags);
	q->irq_masked = false;
	if (q->running) {
		q->rx_pending = nty_nic_rx_done(q);
		q->tx_pending = nty_nic_tx_used(q);
		nty_nic_coalesce(q, NTY_NIC_IRQ_REARM);
	}
	spin_unlock_irqrestore(&q->irq_lock, flags);
}

/**
 * nty_nic_irq_refill_retry - interrupt again soon: buffers are missing
 * @q: the channel, its poll just completed with descriptors left empty
 *
 * As drivers retry a failed refill from a timer rather than spin in
 * softirq; the channel drops what finds no buffer meanwhile.
 */
void nty_nic_irq_refill_retry(struct nty_nic_queue *q)
{
	unsigned long flags;

	spin_lock_irqsave(&q->irq_lock, flags);
	if (q->running && !q->irq_masked && !q->irq_raised) {
		q->refill_retry = true;
		nty_nic_arm(q, NTY_NIC_REFILL_RETRY_US);
	}
	spin_unlock_irqrestore(&q->irq_lock, flags);
}

/**
 * nty_nic_irq_init - set up channel @q's interrupt, masked and off
 * @q: the channel
 */
void nty_nic_irq_init(struct nty_nic_queue *q)
{
	spin_lock_init(&q->irq_lock);
	/* Hard-IRQ context even where irq_work would default to a thread. */
	q->irq_work = IRQ_WORK_INIT_HARD(nty_nic_irq_work);
	INIT_CSD(&q->irq_csd, nty_nic_irq_ipi, q);
	hrtimer_init(&q->coalesce_timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	q->coalesce_timer.function = nty_nic_coalesce_timer;
	atomic_set(&q->irq_inflight, 0);
}

/**
 * nty_nic_irq_start - enable channel @q's interrupt (at open)
 * @q: the channel, its rings allocated and its NAPI enabled
 */
void nty_nic_irq_start(struct nty_nic_queue *q)
{
	unsigned long flags;

	spin_lock_irqsave(&q->irq_lock, flags);
	q->running = true;
	q->irq_masked = false;
	q->irq_raised = false;
	q->rx_pending = 0;
	q->tx_pending = 0;
	spin_unlock_irqrestore(&q->irq_lock, flags);
}

/**
 * nty_nic_irq_stop - disable channel @q's interrupt and wait until no
 *	delivery is in flight (at close)
 * @q: the channel
 */
void nty_nic_irq_stop(struct nty_nic_queue *q)
{
	unsigned long flags;

	spin_lock_irqsave(&q->irq_lock, flags);
	q->running = false;
	spin_unlock_irqrestore(&q->irq_lock, flags);
	hrtimer_cancel(&q->coalesce_timer);
	irq_work_sync(&q->irq_work);
	while (atomic_read(&q->irq_inflight))
		cpu_relax();
	q->timer_armed = false;
}

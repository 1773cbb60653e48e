// SPDX-License-Identifier: GPL-2.0
/*
 * Stage 5, the per-CPU backlog, as net/core/dev.c's enqueue_to_backlog()
 * and process_backlog() do it.  Every CPU has an input queue bounded by
 * the max_backlog sysctl and a real napi_struct whose poll drains it from
 * NET_RX_SOFTIRQ with the napi_weight sysctl as its weight.  A flow hash
 * chooses the CPU (the RPS idea); a remote CPU's poll is scheduled by IPI.
 *
 * Whether a frame meets the backlog at all is the backlog sysctl's choice
 * (nty_backlog_rcv()): "always", the seeds' model, queues every frame;
 * "rps" does what netif_receive_skb_internal() does today, the backlog
 * only for frames RPS steers (rps_cpus set), every other frame handed to
 * the protocol in the softirq that received it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netdevice.h>
#include <linux/smp.h>
#include <linux/cpumask.h>
#include <linux/slab.h>
#include <linux/jhash.h>

#include "nty.h"
#include "observe.h"
#include "trace.h"

/**
 * struct nty_softnet_data - one CPU's share of the receive path
 * @input_queue: frames waiting for this CPU's poll; its lock guards it
 * @napi: the poll that drains @input_queue
 * @csd: IPI that schedules @napi from another CPU
 * @cpu: the CPU this belongs to
 * @processed: frames the poll handed to the protocol
 * @direct: frames handed to the protocol without the backlog (mode rps)
 * @dropped: frames refused because @input_queue was full
 * @time_squeeze: polls that used their whole budget with work left
 * @received_rps: IPIs received to start the poll
 */
struct nty_softnet_data {
	struct sk_buff_head	input_queue;
	struct napi_struct	napi;
	call_single_data_t	csd;
	int			cpu;
	unsigned long		processed;
	unsigned long		direct;
	unsigned long		dropped;
	unsigned long		time_squeeze;
	unsigned long		received_rps;
};

static DEFINE_PER_CPU_ALIGNED(struct nty_softnet_data, nty_softnet);

/* The NAPI instances need a device; like the kernel's backlog, no real one. */
static struct net_device *nty_backlog_dev;

/*
 * RPS map: the CPUs flows are spread over.  Empty means "the CPU that
 * received the frame", the default, as with rps_cpus all zero.
 */
struct nty_rps_map {
	unsigned int	len;
	struct rcu_head	rcu;
	u16		cpus[];
};

static struct nty_rps_map __rcu *nty_rps_map;
static DEFINE_MUTEX(nty_rps_lock);

/*
 * The flow hash that keeps a flow on one CPU, the part of RPS's flow
 * dissector that NTY needs: sender MAC and both ports.  Frames too short
 * to carry ports hash on the MAC alone; validation drops them later.
 */
static u32 nty_flow_hash(const struct sk_buff *skb)
{
	/* As the input stage read them; zero for a frame that is too short. */
	const struct nty_skb_cb *cb = NTY_SKB_CB(skb);
	const u8 *saddr = cb->saddr;
	u32 ports = (__force u32)cb->sport << 16 | (__force u32)cb->dport;

	return jhash_3words(get_unaligned((const u32 *)saddr),
			    get_unaligned((const u16 *)(saddr + 4)),
			    ports ^ skb->skb_iif, 0);
}

/*
 * As get_rps_cpu(): hash only when there is a map to steer by.  Return:
 * the CPU the map chooses, or -1 with no map or an offline choice.
 */
static int nty_get_rps_cpu(struct sk_buff *skb)
{
	struct nty_rps_map *map;
	int cpu = -1;

	rcu_read_lock();
	map = rcu_dereference(nty_rps_map);
	if (map) {
		u32 hash = nty_flow_hash(skb);
		int tcpu = map->cpus[reciprocal_scale(hash, map->len)];

		if (cpu_online(tcpu))
			cpu = tcpu;
	}
	rcu_read_unlock();
	return cpu;
}

/* Runs in hard IRQ on the target CPU, as rps_trigger_softirq() does. */
static void nty_rps_trigger_softirq(void *data)
{
	struct nty_softnet_data *sd = data;

	sd->received_rps++;
	napi_schedule(&sd->napi);
}

/*
 * Schedule @sd's poll on its own CPU, with BHs off.  A CPU that went
 * offline since it was chosen takes no IPI (-ENXIO): its poll runs here
 * instead, or its queue would wait forever.  -EBUSY means the last IPI
 * is still on its way.
 */
static void nty_backlog_schedule(struct nty_softnet_data *sd)
{
	if (sd->cpu == smp_processor_id() ||
	    smp_call_function_single_async(sd->cpu, &sd->csd) == -ENXIO)
		napi_schedule(&sd->napi);
}

/* Queue @skb on @cpu's input queue: enqueue_to_backlog(). */
static int __nty_enqueue_to_backlog(struct sk_buff *skb, int cpu)
{
	struct nty_softnet_data *sd = &per_cpu(nty_softnet, cpu);
	unsigned long flags;
	unsigned int qlen;
	bool full;

	/* Before the enqueue: from then on another CPU may own the frame. */
	nty_stamp(skb, NTY_STAMP_BACKLOG);

	spin_lock_irqsave(&sd->input_queue.lock, flags);
	qlen = skb_queue_len(&sd->input_queue);
	full = qlen >= READ_ONCE(nty_max_backlog);
	if (unlikely(full || nty_fail_backlog())) {
		sd->dropped++;
		spin_unlock_irqrestore(&sd->input_queue.lock, flags);
		nty_drop(dev_net(skb->dev), skb, full ? NTY_DROP_BACKLOG_FULL :
						     NTY_DROP_BACKLOG_FAULT);
		return NET_RX_DROP;
	}
	__skb_queue_tail(&sd->input_queue, skb);
	spin_unlock_irqrestore(&sd->input_queue.lock, flags);
	trace_nty_backlog_enqueue(skb, cpu, qlen + 1);
	nty_hist_backlog_len(qlen + 1);

	if (qlen == 0)
		nty_backlog_schedule(sd);
	return NET_RX_SUCCESS;
}

/**
 * nty_enqueue_to_backlog - queue a frame on a CPU's input queue
 * @skb: the frame, owned by the caller
 *
 * Called with BHs disabled.  The frame is dropped, and counted per CPU and
 * in InBacklogDrops, when the queue already holds max_backlog frames.  A
 * queue that was empty gets its poll scheduled: directly on this CPU, by
 * IPI on another.  With rps_cpus set, a hash of the frame's flow chooses
 * the CPU; without, it is this one.
 *
 * Return: NET_RX_SUCCESS or NET_RX_DROP.
 */
int nty_enqueue_to_backlog(struct sk_buff *skb)
{
	int cpu = nty_get_rps_cpu(skb);

	return __nty_enqueue_to_backlog(skb, cpu < 0 ? smp_processor_id() : cpu);
}
EXPORT_SYMBOL_IF_KUNIT(nty_enqueue_to_backlog);

/**
 * nty_backlog_rcv - stage 5's door: the backlog, or straight on
 * @skb: the frame, owned by the caller
 *
 * Called from the packet_type handler with BHs disabled.  With the backlog
 * sysctl at "always" every frame is queued (nty_enqueue_to_backlog()).  At
 * "rps", as netif_receive_skb_internal() does: a frame that RPS steers
 * goes to the chosen CPU's backlog, this CPU's included, and without
 * rps_cpus the protocol runs here, in the softirq that received the frame,
 * counted in softnet's direct column.
 *
 * Return: NET_RX_SUCCESS or NET_RX_DROP.
 */
int nty_backlog_rcv(struct sk_buff *skb)
{
	int cpu;

	if (READ_ONCE(nty_backlog_mode) == NTY_BACKLOG_ALWAYS)
		return nty_enqueue_to_backlog(skb);
	cpu = nty_get_rps_cpu(skb);
	if (cpu >= 0)
		return __nty_enqueue_to_backlog(skb, cpu);

	NTY_SKB_CB(skb)->direct = 1;
	this_cpu_inc(nty_softnet.direct);
	nty_protocol_rcv(skb);
	return NET_RX_SUCCESS;
}

/*
 * The NAPI poll, run by net_rx_action() with this CPU's budget share.  As
 * process_backlog() splices input_pkt_queue, it takes the whole input
 * queue under one lock and runs the protocol on each frame without it; what
 * the budget leaves goes back to the head of the queue, ahead of frames
 * that came meanwhile, so a flow stays in order and the netdev notifier,
 * once it has stopped the poll (nty_flush_backlog()), finds every waiting
 * frame in one place.  A frame queued while the batch
 * is out finds the queue empty and schedules the poll again, which
 * napi_complete_done() honours.
 */
static int nty_process_backlog(struct napi_struct *napi, int budget)
{
	struct nty_softnet_data *sd = container_of(napi, struct nty_softnet_data,
						   napi);
	struct sk_buff_head batch;
	struct sk_buff *skb;
	bool squeezed = false;
	int work = 0;

	__skb_queue_head_init(&batch);
	spin_lock_irq(&sd->input_queue.lock);
	skb_queue_splice_init(&sd->input_queue, &batch);
	spin_unlock_irq(&sd->input_queue.lock);

	while (work < budget && (skb = __skb_dequeue(&batch))) {
		nty_protocol_rcv(skb);
		work++;
	}
	if (!skb_queue_empty(&batch)) {
		spin_lock_irq(&sd->input_queue.lock);
		skb_queue_splice(&batch, &sd->input_queue);
		spin_unlock_irq(&sd->input_queue.lock);
		sd->time_squeeze++;
		squeezed = true;
	} else if (work == budget &&
		   !skb_queue_empty_lockless(&sd->input_queue)) {
		sd->time_squeeze++;
		squeezed = true;
	}
	trace_nty_napi_poll(sd->cpu, work, budget, squeezed);
	nty_hist_poll(work);
	sd->processed += work;

	if (work < budget)
		napi_complete_done(napi, work);
	return work;
}

/**
 * nty_softnet_stat - one CPU's row of /proc/net/nty/softnet
 * @cpu: the CPU
 * @st: filled in
 */
void nty_softnet_stat(int cpu, struct nty_softnet_stat *st)
{
	struct nty_softnet_data *sd = &per_cpu(nty_softnet, cpu);

	st->processed = READ_ONCE(sd->processed);
	st->direct = READ_ONCE(sd->direct);
	st->dropped = READ_ONCE(sd->dropped);
	st->time_squeeze = READ_ONCE(sd->time_squeeze);
	st->received_rps = READ_ONCE(sd->received_rps);
	st->qlen = skb_queue_len_lockless(&sd->input_queue);
	st->napi_scheduled = test_bit(NAPI_STATE_SCHED, &sd->napi.state);
}
EXPORT_SYMBOL_IF_KUNIT(nty_softnet_stat);

/**
 * nty_backlog_set_weight - apply the napi_weight sysctl to every poll
 * @weight: frames a poll may process per call
 *
 * net_rx_action() reads the weight afresh at every poll.
 */
void nty_backlog_set_weight(int weight)
{
	int cpu;

	for_each_possible_cpu(cpu)
		WRITE_ONCE(per_cpu(nty_softnet, cpu).napi.weight, weight);
}

/**
 * nty_rps_set_cpus - spread flows over @mask (empty: the receiving CPU)
 * @mask: CPUs to steer to
 *
 * Return: 0 or -ENOMEM.
 */
int nty_rps_set_cpus(const struct cpumask *mask)
{
	struct nty_rps_map *map = NULL, *old;
	unsigned int n = cpumask_weight(mask);
	int cpu, i = 0;

	if (n) {
		map = kzalloc(struct_size(map, cpus, n), GFP_KERNEL);
		if (!map)
			return -ENOMEM;
		for_each_cpu(cpu, mask)
			map->cpus[i++] = cpu;
		map->len = n;
	}
	mutex_lock(&nty_rps_lock);
	old = rcu_replace_pointer(nty_rps_map, map,
				  lockdep_is_held(&nty_rps_lock));
	mutex_unlock(&nty_rps_lock);
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

/**
 * nty_rps_get_cpus - the CPUs flows are spread over
 * @mask: filled in; empty when each frame stays on its receiving CPU
 */
void nty_rps_get_cpus(struct cpumask *mask)
{
	struct nty_rps_map *map;
	unsigned int i;

	cpumask_clear(mask);
	rcu_read_lock();
	map = rcu_dereference(nty_rps_map);
	for (i = 0; map && i < map->len; i++)
		cpumask_set_cpu(map->cpus[i], mask);
	rcu_read_unlock();
}

/*
 * Frames in the input queues point at their device without holding it, as
 * in the kernel's own backlog, so a device's frames must be gone from
 * them before unregister_netdevice_many() frees it: flush_backlog()'s
 * twin.  A poll holds a batch outside the queue's lock while it runs the
 * protocol and puts back what its budget left; a walk of the queue alone
 * would miss that batch and let it be processed after the device was
 * freed.  flush_backlog() excludes the poll by running on the poll's CPU
 * with BHs off; NTY's poll may run on another CPU (the IPI to an offline
 * CPU falls back to this one), so each CPU's poll is stopped with
 * napi_disable() instead, which waits for a running poll to return and
 * completes one that used its budget, every batch back in its queue.
 * Frames that arrive meanwhile wait in the queue; the poll is scheduled
 * again after napi_enable() when any do.  Frames a poll already handed
 * to the protocol are within that softirq, which the synchronize_net()
 * in unregister_netdevice_many() waits for.
 */
static void nty_flush_backlog(struct nty_softnet_data *sd,
			      struct net_device *dev, struct sk_buff_head *gone)
{
	struct sk_buff *skb, *tmp;

	napi_disable(&sd->napi);
	spin_lock_irq(&sd->input_queue.lock);
	skb_queue_walk_safe(&sd->input_queue, skb, tmp) {
		if (skb->dev == dev) {
			__skb_unlink(skb, &sd->input_queue);
			__skb_queue_tail(gone, skb);
		}
	}
	spin_unlock_irq(&sd->input_queue.lock);
	napi_enable(&sd->napi);
	/* After napi_enable(): an enqueue that found SCHED set scheduled nothing. */
	if (!skb_queue_empty_lockless(&sd->input_queue)) {
		local_bh_disable();
		nty_backlog_schedule(sd);
		local_bh_enable();
	}
}

static int nty_netdev_event(struct notifier_block *nb, unsigned long event,
			    void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct sk_buff_head gone;
	struct sk_buff *skb;
	int cpu;

	if (event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;

	/* Unlinked under the queue's lock, freed with interrupts on. */
	__skb_queue_head_init(&gone);
	for_each_possible_cpu(cpu)
		nty_flush_backlog(&per_cpu(nty_softnet, cpu), dev, &gone);
	while ((skb = __skb_dequeue(&gone)))
		nty_drop(dev_net(dev), skb, NTY_DROP_DEV_GONE);
	/*
	 * No synchronize_net() of our own: unregister_netdevice_many()
	 * waits for a grace period after the notifiers, once for all.
	 */
	return NOTIFY_DONE;
}

static struct notifier_block nty_netdev_notifier = {
	.notifier_call = nty_netdev_event,
};

/**
 * nty_backlog_init - set up every CPU's input queue and poll
 *
 * Return: 0 or a negative errno.
 */
int nty_backlog_init(void)
{
	int cpu, ret;

	nty_backlog_dev = nty_alloc_dummy_netdev();
	if (!nty_backlog_dev)
		return -ENOMEM;

	for_each_possible_cpu(cpu) {
		struct nty_softnet_data *sd = &per_cpu(nty_softnet, cpu);

		skb_queue_head_init(&sd->input_queue);
		sd->cpu = cpu;
		INIT_CSD(&sd->csd, nty_rps_trigger_softirq, sd);
		netif_napi_add_weight(nty_backlog_dev, &sd->napi,
				      nty_process_backlog,
				      min(nty_napi_weight, NAPI_POLL_WEIGHT));
		sd->napi.weight = nty_napi_weight;
		napi_enable(&sd->napi);
	}

	ret = register_netdevice_notifier(&nty_netdev_notifier);
	if (ret < 0) {
		nty_backlog_exit();
		return ret;
	}
	return 0;
}

static void nty_ipi_nop(void *info)
{
}

/**
 * nty_backlog_exit - stop every poll and free what is still queued
 *
 * Runs after the packet_type is gone, so nothing is enqueued any more.
 */
void nty_backlog_exit(void)
{
	struct nty_rps_map *map;
	int cpu;

	unregister_netdevice_notifier(&nty_netdev_notifier);

	/* An IPI queued before the packet_type went away has now run. */
	on_each_cpu(nty_ipi_nop, NULL, 1);

	for_each_possible_cpu(cpu) {
		struct nty_softnet_data *sd = &per_cpu(nty_softnet, cpu);

		if (!sd->napi.poll)
			continue;
		napi_disable(&sd->napi);
		netif_napi_del(&sd->napi);
		skb_queue_purge(&sd->input_queue);
	}
	synchronize_net();
	nty_free_dummy_netdev(nty_backlog_dev);
	nty_backlog_dev = NULL;

	map = rcu_dereference_protected(nty_rps_map, 1);
	RCU_INIT_POINTER(nty_rps_map, NULL);
	kfree_rcu(map, rcu);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * How long a frame waits at each stage.  Each frame carries in its control
 * block the time the packet_type handler took it and the offsets at which
 * it reached the backlog, the poll and a socket queue; recvmsg closes the
 * account.  Per-CPU, lock-free log2 histograms collect, in nanoseconds:
 *
 *   backlog_wait   backlog enqueue -> NAPI poll
 *   protocol       NAPI poll -> socket queue (validation, demux)
 *   socket_wait    socket queue -> copy to user
 *   total          packet_type handler -> copy to user
 *
 * and, with no time involved, frames per poll call and backlog length at
 * enqueue.  Frames from an ntynic add the NIC's stages:
 *
 *   nic_ring_wait  frame lands in the RX ring -> the packet_type handler
 *   nic_irq_to_poll  hard IRQ -> the NAPI poll it scheduled (per IRQ)
 *  /sys/kernel/debug/nty/latency shows them (write to reset);
 * /sys/kernel/debug/nty/timing (0 or 1) switches them.  Stamping runs
 * behind the nty_timing_key static branch, on while the histograms are
 * enabled or any socket has NTY_STAGE_TIMES set.
 */
#include <linux/debugfs.h>
#include <linux/etherdevice.h>
#include <linux/log2.h>
#include <linux/seq_file.h>
#include <linux/timekeeping.h>
#include <net/sock.h>

#include "nty.h"
#include "observe.h"
#include "nic_trace.h"

/*
 * Any user may set NTY_STAGE_TIMES, so a socket's reference is dropped
 * with a delay, as net_disable_timestamp() defers its key: a loop of
 * setsockopt() calls patches the kernel's text once, not every time.
 */
DEFINE_STATIC_KEY_DEFERRED_FALSE(nty_timing_key, HZ);

#define NTY_HIST_BUCKETS 40	/* bucket i: [2^i, 2^(i+1)) ns, 0 in bucket 0 */

enum nty_hist_id {
	NTY_HIST_BACKLOG_WAIT,
	NTY_HIST_PROTOCOL,
	NTY_HIST_SOCKET_WAIT,
	NTY_HIST_TOTAL,
	NTY_HIST_POLL_FRAMES,
	NTY_HIST_BACKLOG_LEN,
	NTY_HIST_NIC_RING,
	NTY_HIST_NIC_IRQ,
	__NTY_HIST_MAX
};

static const char * const nty_hist_names[__NTY_HIST_MAX] = {
	[NTY_HIST_BACKLOG_WAIT]	= "backlog_wait_ns",
	[NTY_HIST_PROTOCOL]	= "protocol_ns",
	[NTY_HIST_SOCKET_WAIT]	= "socket_wait_ns",
	[NTY_HIST_TOTAL]	= "total_ns",
	[NTY_HIST_POLL_FRAMES]	= "frames_per_poll",
	[NTY_HIST_BACKLOG_LEN]	= "backlog_len_at_enqueue",
	[NTY_HIST_NIC_RING]	= "nic_ring_wait_ns",
	[NTY_HIST_NIC_IRQ]	= "nic_irq_to_poll_ns",
};

static DEFINE_PER_CPU(u64 [__NTY_HIST_MAX][NTY_HIST_BUCKETS], nty_hist);
bool nty_hist_on;
static DEFINE_MUTEX(nty_timing_lock);

static void nty_hist_add(enum nty_hist_id h, u64 v)
{
	unsigned int b = v ? min_t(unsigned int, ilog2(v), NTY_HIST_BUCKETS - 1) : 0;

	this_cpu_inc(nty_hist[h][b]);
}

/**
 * nty_timing_get - take a reference on the timing key (a socket wants times)
 *
 * Return: 0.
 */
int nty_timing_get(void)
{
	static_branch_deferred_inc(&nty_timing_key);
	return 0;
}

/**
 * nty_timing_put - drop a reference taken by nty_timing_get()
 */
void nty_timing_put(void)
{
	static_branch_slow_dec_deferred(&nty_timing_key);
}

/**
 * struct nty_nic_poll_ctx - the NIC poll running on a CPU, as its driver's
 *	nty_nic_poll_start tracepoint told it
 * @dev: the device, compared and never dereferenced
 * @queue: the channel
 * @irq_ns: CLOCK_MONOTONIC ns of the hard IRQ that scheduled the poll
 *
 * NAPI polls of one CPU do not nest, so the last one to start is the one
 * whose frames reach the packet_type handler on this CPU, GRO's held ones
 * included; a frame that RPS moved here from another CPU finds another
 * channel's and is not given an IRQ time.
 */
struct nty_nic_poll_ctx {
	const struct net_device	*dev;
	int			queue;
	u64			irq_ns;
};

static DEFINE_PER_CPU(struct nty_nic_poll_ctx, nty_nic_poll_ctx);

static void nty_nic_poll_probe(void *data, const struct net_device *dev,
			       int queue, u64 irq_ns, bool first)
{
	struct nty_nic_poll_ctx *ctx;

	if (!nty_timing_on())
		return;
	ctx = this_cpu_ptr(&nty_nic_poll_ctx);
	ctx->dev = dev;
	ctx->queue = queue;
	ctx->irq_ns = irq_ns;
	if (first && READ_ONCE(nty_hist_on))
		nty_hist_add(NTY_HIST_NIC_IRQ, ktime_get_ns() - irq_ns);
}

/*
 * When @skb hit its NIC's ring and when the hard IRQ that got it polled
 * ran, from what a driver leaves on a frame: a receive timestamp on
 * CLOCK_MONOTONIC (a PTP clock's is far ahead of it, and not taken), the
 * recorded RX queue, and the poll its driver's tracepoint announced.
 */
static bool nty_nic_times(const struct sk_buff *skb, u64 now, u64 *t_ring,
			  u64 *t_irq)
{
	const struct nty_nic_poll_ctx *ctx;

	*t_ring = ktime_to_ns(skb_shinfo(skb)->hwtstamps.hwtstamp);
	if (!*t_ring || *t_ring > now)
		return false;
	*t_irq = 0;
	ctx = this_cpu_ptr(&nty_nic_poll_ctx);
	if (skb_rx_queue_recorded(skb) && ctx->dev == skb->dev &&
	    ctx->queue == skb_get_rx_queue(skb) && ctx->irq_ns &&
	    ctx->irq_ns < now)
		*t_irq = ctx->irq_ns;
	return true;
}

/**
 * nty_stamp_rcv - start a frame's account, at the packet_type handler
 * @skb: the frame
 */
void nty_stamp_rcv(struct sk_buff *skb)
{
	struct nty_skb_cb *cb = NTY_SKB_CB(skb);
	u64 t_ring, t_irq;

	cb->t_rcv = ktime_get_ns();
	/* From a timestamping NIC: the IRQ time, or 1 ns to say "NIC frame". */
	if (nty_nic_times(skb, cb->t_rcv, &t_ring, &t_irq)) {
		cb->d_irq = t_irq ? min_t(u64, cb->t_rcv - t_irq, U32_MAX) : 1;
		if (READ_ONCE(nty_hist_on))
			nty_hist_add(NTY_HIST_NIC_RING, cb->t_rcv - t_ring);
	}
}

/**
 * nty_stamp_forget - end a frame's account where it is, without a journey
 * @skb: the frame, whose journey ended when it was queued
 */
void nty_stamp_forget(struct sk_buff *skb)
{
	NTY_SKB_CB(skb)->t_rcv = 0;
}

/**
 * __nty_stamp - note the time a frame reached @stage
 * @skb: the frame
 * @stage: the stage
 */
void __nty_stamp(struct sk_buff *skb, enum nty_stamp stage)
{
	struct nty_skb_cb *cb = NTY_SKB_CB(skb);
	u32 d;

	if (!cb->t_rcv)
		return;
	d = min_t(u64, ktime_get_ns() - cb->t_rcv, U32_MAX);
	switch (stage) {
	case NTY_STAMP_BACKLOG:
		cb->d_backlog = d;
		break;
	case NTY_STAMP_POLL:
		cb->d_poll = d;
		/* A direct frame waited on no backlog: nothing to add. */
		if (!cb->direct && READ_ONCE(nty_hist_on))
			nty_hist_add(NTY_HIST_BACKLOG_WAIT, d - cb->d_backlog);
		break;
	case NTY_STAMP_SOCK:
		cb->d_sock = d;
		if (READ_ONCE(nty_hist_on))
			nty_hist_add(NTY_HIST_PROTOCOL, d - cb->d_poll);
		break;
	}
}

/**
 * nty_hist_backlog_len - note the backlog length a frame found
 * @qlen: frames queued, this one included
 */
void nty_hist_backlog_len(unsigned int qlen)
{
	if (nty_timing_on() && READ_ONCE(nty_hist_on))
		nty_hist_add(NTY_HIST_BACKLOG_LEN, qlen);
}

/**
 * nty_hist_poll - note how many frames one poll call processed
 * @work: frames
 */
void nty_hist_poll(int work)
{
	if (nty_timing_on() && READ_ONCE(nty_hist_on))
		nty_hist_add(NTY_HIST_POLL_FRAMES, work);
}

/**
 * nty_timing_copied - close a frame's account at the copy to user
 * @sk: the reading socket
 * @skb: the frame
 * @msg: the reader's message, for the NTY_STAGE_TIMES control message
 */
void nty_timing_copied(struct sock *sk, struct sk_buff *skb,
		       struct msghdr *msg)
{
	const struct nty_skb_cb *cb = NTY_SKB_CB(skb);
	struct nty_stage_times st;
	u64 now;

	if (!nty_timing_on() || !cb->t_rcv)
		return;
	now = ktime_get_ns();
	if (READ_ONCE(nty_hist_on)) {
		nty_hist_add(NTY_HIST_SOCKET_WAIT, now - cb->t_rcv - cb->d_sock);
		nty_hist_add(NTY_HIST_TOTAL, now - cb->t_rcv);
	}
	if (cb->journey)
		nty_journey_copied(skb, now);
	if (READ_ONCE(nty_sk(sk)->stage_times)) {
		st.rcv = cb->t_rcv;
		st.backlog = cb->t_rcv + cb->d_backlog;
		st.poll = cb->t_rcv + cb->d_poll;
		st.sock = cb->t_rcv + cb->d_sock;
		st.copy = now;
		put_cmsg(msg, SOL_NTY, NTY_STAGE_TIMES, sizeof(st), &st);
	}
}

static int nty_latency_show(struct seq_file *seq, void *v)
{
	int h, b, cpu;
	u64 sum;

	for (h = 0; h < __NTY_HIST_MAX; h++) {
		seq_printf(seq, "%s:", nty_hist_names[h]);
		for (b = 0; b < NTY_HIST_BUCKETS; b++) {
			sum = 0;
			for_each_possible_cpu(cpu)
				sum += per_cpu(nty_hist[h][b], cpu);
			seq_printf(seq, " %llu", sum);
		}
		seq_putc(seq, '\n');
	}
	return 0;
}

static void nty_latency_reset(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(&nty_hist, cpu), 0, sizeof(nty_hist));
}

static const struct nty_debugfs_table nty_latency_table = {
	.show	= nty_latency_show,
	.reset	= nty_latency_reset,
};

static int nty_timing_set(void *data, u64 val)
{
	if (val > 1)
		return -EINVAL;
	mutex_lock(&nty_timing_lock);
	if (val && !nty_hist_on)
		static_branch_inc(&nty_timing_key.key);
	else if (!val && nty_hist_on)
		static_branch_dec(&nty_timing_key.key);
	WRITE_ONCE(nty_hist_on, val);
	mutex_unlock(&nty_timing_lock);
	return 0;
}

static int nty_timing_show(void *data, u64 *val)
{
	*val = READ_ONCE(nty_hist_on);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(nty_timing_fops, nty_timing_show, nty_timing_set,
			 "%llu\n");

/**
 * nty_timing_debugfs - create latency and timing under @dir
 * @dir: /sys/kernel/debug/nty
 */
void nty_timing_debugfs(struct dentry *dir)
{
	nty_debugfs_create_table("latency", dir, &nty_latency_table);
	debugfs_create_file_unsafe("timing", 0600, dir, NULL, &nty_timing_fops);
}

/**
 * nty_timing_init - listen to the NIC polls that start, for the NIC times
 *
 * Return: 0 or a negative errno.
 */
int nty_timing_init(void)
{
	return register_trace_nty_nic_poll_start(nty_nic_poll_probe, NULL);
}

/**
 * nty_timing_exit - leave the key as it was found
 */
void nty_timing_exit(void)
{
	unregister_trace_nty_nic_poll_start(nty_nic_poll_probe, NULL);
	tracepoint_synchronize_unregister();
	nty_timing_set(NULL, 0);
	/* A socket's deferred decrement must not run after the module. */
	static_key_deferred_flush(&nty_timing_key);
}

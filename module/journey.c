// SPDX-License-Identifier: GPL-2.0
/*
 * Packet journeys: "packet, where are you?".  While timing is on (see
 * timing.c), the outcome of each frame (put on which socket's which
 * queue, or dropped at which stage and why) is written, with its flow and
 * its stage times, into the recording CPU's ring of its last journey_len
 * frames, and the copy to user completes the entry.  A ring per CPU, each
 * with its own lock, keeps recording off any lock or cache line another
 * CPU's frames use; /sys/kernel/debug/nty/journeys merges the rings by
 * arrival time (t_rcv), oldest first.  journey_filter ("port=N ifindex=M", 0 = any)
 * chooses which frames are recorded.  With journey_capture on, each entry
 * also keeps the frame's first NTY_JOURNEY_CAP bytes from its Ethernet
 * header (journey_frames, which ntystat --pcap turns into pcapng): a
 * bounded copy, journey_len x NTY_JOURNEY_CAP bytes per CPU.
 */
#include <linux/debugfs.h>
#include <linux/etherdevice.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>

#include "nty.h"
#include "observe.h"

static unsigned int journey_len = 256;
module_param(journey_len, uint, 0444);
MODULE_PARM_DESC(journey_len, "Packet journeys each CPU keeps for /sys/kernel/debug/nty/journeys (default 256, 1-65536)");

enum { NTY_J_DELIVERED, NTY_J_DROPPED };

/* Bytes of each frame journey_capture keeps: Ethernet, NTY, 90 of data. */
#define NTY_JOURNEY_CAP	128

struct nty_journey {
	u32	seq;
	u8	outcome;
	u8	stage;
	u8	kind;
	u8	queue;
	u8	saddr[ETH_ALEN];
	__be16	sport;
	__be16	dport;
	int	ifindex;
	u64	t_rcv;
	u32	d_backlog;
	u32	d_poll;
	u32	d_sock;
	u32	d_copy;
	u32	d_ring;
	u32	d_irq;
	u16	lport;
	u16	caplen;
	u32	wirelen;
	unsigned long ino;
};

/*
 * One CPU's ring.  An entry's seq is unique over all CPUs: the ring's own
 * count times nr_cpu_ids plus the CPU, so that the copy to user, on any
 * CPU, finds the ring and the slot from the seq alone (cb->journey).
 * @bytes: journey_len x NTY_JOURNEY_CAP, entry i's at i * NTY_JOURNEY_CAP.
 */
struct nty_journey_ring {
	spinlock_t		lock;	/* guards the entries and @count */
	u32			count;
	int			cpu;
	struct nty_journey	*ent;
	u8			*bytes;
};

static struct nty_journey_ring __percpu *nty_rings;
/* @count wraps here, so that count * nr_cpu_ids + cpu fits in a u32. */
static u32 nty_count_max;
static bool nty_journey_capture;
static int nty_filter_port;
static int nty_filter_ifindex;

static const char * const nty_queue_names[__NTY_Q_MAX] = {
	NTY_SOCK_QUEUES(NTY_Q_NAME, NTY_Q_NAME)
};

static bool nty_journey_wanted(const struct nty_skb_cb *cb)
{
	int port = READ_ONCE(nty_filter_port);
	int ifindex = READ_ONCE(nty_filter_ifindex);

	if (!nty_rings || !cb->t_rcv)
		return false;
	if (port && ntohs(cb->dport) != port)
		return false;
	return !ifindex || cb->ifindex == ifindex;
}

/*
 * The frame from its Ethernet header: the MAC header and what was pulled
 * are still in the linear head, before skb->data, and skb_copy_bits()
 * takes a negative offset for them; the rest may be paged.
 */
static void nty_journey_copy(const struct sk_buff *skb, struct nty_journey *j,
			     u8 *to)
{
	int off, n;

	if (!skb_mac_header_was_set(skb))
		return;
	off = skb_mac_offset(skb);
	if (off > 0)
		return;
	j->wirelen = skb->len - off;
	n = min_t(int, j->wirelen, NTY_JOURNEY_CAP);
	if (!skb_copy_bits(skb, off, to, n))
		j->caplen = n;
}

/* A new entry for @skb in the ring. */
static void nty_journey_record(struct sk_buff *skb, u8 outcome, u8 stage,
			       u8 kind, u8 queue, const struct sock *sk)
{
	struct nty_skb_cb *cb = NTY_SKB_CB(skb);
	unsigned long flags, ino = 0;
	struct nty_journey_ring *ring;
	struct nty_journey *j;
	u32 slot;

	if (!nty_journey_wanted(cb))
		return;
	/* sock_i_ino() takes a _bh lock: not with interrupts off. */
	if (sk)
		ino = sock_i_ino((struct sock *)sk);
	/*
	 * This CPU's ring, or the one it was on if the socket backlog runs
	 * in a task that migrates: the lock makes either correct.
	 */
	ring = raw_cpu_ptr(nty_rings);
	spin_lock_irqsave(&ring->lock, flags);
	if (++ring->count > nty_count_max)
		ring->count = 1;
	slot = ring->count % journey_len;
	j = &ring->ent[slot];
	memset(j, 0, sizeof(*j));
	j->seq = ring->count * nr_cpu_ids + ring->cpu;
	j->outcome = outcome;
	j->stage = stage;
	j->kind = kind;
	j->queue = queue;
	memcpy(j->saddr, cb->saddr, ETH_ALEN);
	j->sport = cb->sport;
	j->dport = cb->dport;
	j->ifindex = cb->ifindex;
	j->t_rcv = cb->t_rcv;
	j->d_backlog = cb->d_backlog;
	j->d_poll = cb->d_poll;
	j->d_sock = cb->d_sock;
	if (cb->d_irq) {
		/* Frames from an ntynic: how long before the handler. */
		u64 t_ring = ktime_to_ns(skb_hwtstamps(skb)->hwtstamp);

		if (t_ring && t_ring < cb->t_rcv)
			j->d_ring = min_t(u64, cb->t_rcv - t_ring, U32_MAX);
		if (cb->d_irq > 1)
			j->d_irq = cb->d_irq;
	}
	if (sk) {
		j->lport = ntohs(nty_sk(sk)->sport);
		j->ino = ino;
	}
	if (READ_ONCE(nty_journey_capture))
		nty_journey_copy(skb, j, ring->bytes + slot * NTY_JOURNEY_CAP);
	cb->journey = j->seq;
	spin_unlock_irqrestore(&ring->lock, flags);
}

/**
 * nty_journey_deliver - record that a socket took the frame
 * @sk: the socket
 * @skb: the frame
 * @queue: NTY_Q_*
 */
void nty_journey_deliver(const struct sock *sk, struct sk_buff *skb, int queue)
{
	nty_journey_record(skb, NTY_J_DELIVERED, NTY_STAGE_SOCKET, 0, queue, sk);
}

/**
 * nty_journey_drop - record where and why the frame was dropped
 * @skb: the frame
 * @stage: NTY_STAGE_*
 * @kind: enum nty_drop_kind_id
 */
void nty_journey_drop(struct sk_buff *skb, int stage, int kind)
{
	nty_journey_record(skb, NTY_J_DROPPED, stage, kind, 0, NULL);
}

/**
 * nty_journey_copied - complete the frame's entry at the copy to user
 * @skb: the frame
 * @now: CLOCK_MONOTONIC ns
 */
void nty_journey_copied(struct sk_buff *skb, u64 now)
{
	const struct nty_skb_cb *cb = NTY_SKB_CB(skb);
	struct nty_journey *j;
	unsigned long flags;

	struct nty_journey_ring *ring;
	u32 cpu = cb->journey % nr_cpu_ids;

	if (!nty_rings || !cpu_possible(cpu))
		return;
	ring = per_cpu_ptr(nty_rings, cpu);
	spin_lock_irqsave(&ring->lock, flags);
	j = &ring->ent[(cb->journey / nr_cpu_ids) % journey_len];
	/* Still this frame's entry, not overwritten by a newer one. */
	if (j->seq == cb->journey)
		j->d_copy = min_t(u64, now - cb->t_rcv, U32_MAX);
	spin_unlock_irqrestore(&ring->lock, flags);
}

static void nty_journey_show_one(struct seq_file *seq, const struct nty_journey *j)
{
	seq_printf(seq, "%u %pM %u %u %d %llu %u %u %u %u ", j->seq, j->saddr,
		   ntohs(j->sport), ntohs(j->dport), j->ifindex, j->t_rcv,
		   j->d_backlog, j->d_poll, j->d_sock, j->d_copy);
	if (j->outcome == NTY_J_DELIVERED)
		seq_printf(seq, "delivered socket %s %u %lu",
			   nty_queue_names[j->queue], j->lport, j->ino);
	else
		seq_printf(seq, "dropped %s %s 0 0", nty_stage_name(j->stage),
			   nty_drop_kind_name(j->kind));
	seq_printf(seq, " %u %u\n", j->d_ring, j->d_irq);
}

/* Every ring's entries (and bytes, if @bytes), copied out under each lock. */
struct nty_journey_snap {
	struct nty_journey	*ent;
	u8			*bytes;
	u32			*order;	/* indices into @ent, by t_rcv */
	u32			n;
};

static int nty_snap_cmp(const void *a, const void *b, const void *priv)
{
	const struct nty_journey *ent = priv;
	const struct nty_journey *x = &ent[*(const u32 *)a];
	const struct nty_journey *y = &ent[*(const u32 *)b];

	if (x->t_rcv != y->t_rcv)
		return x->t_rcv < y->t_rcv ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void nty_snap_free(struct nty_journey_snap *sn)
{
	kvfree(sn->ent);
	kvfree(sn->bytes);
	kvfree(sn->order);
}

/*
 * Copy out under the locks, one ring at a time; merge and print without
 * them.  Entries of different CPUs interleave by the time each frame
 * reached the packet_type handler.
 */
static int nty_snap_take(struct nty_journey_snap *sn, bool bytes)
{
	u32 total = journey_len * num_possible_cpus(), i, k = 0;
	int cpu;

	memset(sn, 0, sizeof(*sn));
	sn->ent = kvmalloc_array(total, sizeof(*sn->ent), GFP_KERNEL);
	sn->order = kvmalloc_array(total, sizeof(*sn->order), GFP_KERNEL);
	if (bytes)
		sn->bytes = kvmalloc_array(total, NTY_JOURNEY_CAP, GFP_KERNEL);
	if (!sn->ent || !sn->order || (bytes && !sn->bytes)) {
		nty_snap_free(sn);
		return -ENOMEM;
	}
	for_each_possible_cpu(cpu) {
		struct nty_journey_ring *ring = per_cpu_ptr(nty_rings, cpu);

		spin_lock_irq(&ring->lock);
		memcpy(sn->ent + k, ring->ent, journey_len * sizeof(*sn->ent));
		if (bytes)
			memcpy(sn->bytes + (size_t)k * NTY_JOURNEY_CAP, ring->bytes,
			       (size_t)journey_len * NTY_JOURNEY_CAP);
		spin_unlock_irq(&ring->lock);
		k += journey_len;
	}
	for (i = 0; i < total; i++)
		if (sn->ent[i].seq)
			sn->order[sn->n++] = i;
	sort_r(sn->order, sn->n, sizeof(*sn->order), nty_snap_cmp, NULL,
	       sn->ent);
	return 0;
}

static int nty_journeys_show(struct seq_file *seq, void *v)
{
	struct nty_journey_snap sn;
	u32 i;
	int ret;

	ret = nty_snap_take(&sn, false);
	if (ret)
		return ret;
	seq_puts(seq, "seq saddr sport dport ifindex t_rcv_ns backlog_ns poll_ns sock_ns copy_ns outcome where what socket_port socket_ino ring_ns irq_ns\n");
	for (i = 0; i < sn.n; i++)
		nty_journey_show_one(seq, &sn.ent[sn.order[i]]);
	nty_snap_free(&sn);
	return 0;
}

static int nty_journey_frames_show(struct seq_file *seq, void *v)
{
	struct nty_journey_snap sn;
	u32 i, k;
	int ret;

	ret = nty_snap_take(&sn, true);
	if (ret)
		return ret;
	seq_puts(seq, "seq wire_len bytes\n");
	for (i = 0; i < sn.n; i++) {
		const struct nty_journey *j = &sn.ent[sn.order[i]];
		const u8 *b = sn.bytes + (size_t)sn.order[i] * NTY_JOURNEY_CAP;

		if (!j->caplen)
			continue;
		seq_printf(seq, "%u %u ", j->seq, j->wirelen);
		/* %*phN prints at most 64 bytes at a time. */
		for (k = 0; k < j->caplen; k += 64)
			seq_printf(seq, "%*phN", min_t(int, j->caplen - k, 64), b + k);
		seq_putc(seq, '\n');
	}
	nty_snap_free(&sn);
	return 0;
}

static void nty_journeys_reset(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct nty_journey_ring *ring = per_cpu_ptr(nty_rings, cpu);

		spin_lock_irq(&ring->lock);
		memset(ring->ent, 0, journey_len * sizeof(*ring->ent));
		memset(ring->bytes, 0, (size_t)journey_len * NTY_JOURNEY_CAP);
		spin_unlock_irq(&ring->lock);
	}
}

static const struct nty_debugfs_table nty_journeys_table = {
	.show	= nty_journeys_show,
	.reset	= nty_journeys_reset,
};

/* Reset with the journeys: the bytes belong to their entries. */
static const struct nty_debugfs_table nty_journey_frames_table = {
	.show	= nty_journey_frames_show,
	.reset	= nty_journeys_reset,
};

static int nty_filter_show(struct seq_file *seq, void *v)
{
	seq_printf(seq, "port=%d ifindex=%d\n", READ_ONCE(nty_filter_port),
		   READ_ONCE(nty_filter_ifindex));
	return 0;
}

static int nty_filter_open(struct inode *inode, struct file *file)
{
	return single_open(file, nty_filter_show, NULL);
}

/* "port=N ifindex=M"; either may be left out, 0 means any. */
static ssize_t nty_filter_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	int port = 0, ifindex = 0, n;
	char buf[64], *p, *tok;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	p = strim(buf);
	while ((tok = strsep(&p, " \t")) != NULL) {
		if (!*tok)
			continue;
		if (sscanf(tok, "port=%d%n", &port, &n) == 1 && !tok[n] &&
		    port >= 0 && port <= 65535)
			continue;
		if (sscanf(tok, "ifindex=%d%n", &ifindex, &n) == 1 && !tok[n] &&
		    ifindex >= 0)
			continue;
		return -EINVAL;
	}
	WRITE_ONCE(nty_filter_port, port);
	WRITE_ONCE(nty_filter_ifindex, ifindex);
	return len;
}

static const struct file_operations nty_filter_fops = {
	.owner		= THIS_MODULE,
	.open		= nty_filter_open,
	.read		= seq_read,
	.write		= nty_filter_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

static void nty_rings_free(void)
{
	int cpu;

	if (!nty_rings)
		return;
	for_each_possible_cpu(cpu) {
		struct nty_journey_ring *ring = per_cpu_ptr(nty_rings, cpu);

		vfree(ring->ent);
		vfree(ring->bytes);
	}
	free_percpu(nty_rings);
	nty_rings = NULL;
}

/**
 * nty_journey_init - allocate every CPU's ring, before any frame can arrive
 *
 * Return: 0, or -EINVAL for a journey_len out of range, or -ENOMEM.
 */
int nty_journey_init(void)
{
	struct nty_journey_ring __percpu *rings;
	int cpu;

	if (!journey_len || journey_len > 65536) {
		pr_err("nty: journey_len %u out of range (1-65536)\n", journey_len);
		return -EINVAL;
	}
	rings = alloc_percpu(struct nty_journey_ring);
	if (!rings)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct nty_journey_ring *ring = per_cpu_ptr(rings, cpu);

		spin_lock_init(&ring->lock);
		ring->cpu = cpu;
		ring->ent = vzalloc(array_size(journey_len, sizeof(*ring->ent)));
		ring->bytes = vzalloc(array_size(journey_len, NTY_JOURNEY_CAP));
		if (!ring->ent || !ring->bytes) {
			nty_rings = rings;
			nty_rings_free();
			return -ENOMEM;
		}
	}
	nty_count_max = U32_MAX / nr_cpu_ids - 1;
	nty_rings = rings;
	return 0;
}

/**
 * nty_journey_debugfs - create journeys and journey_filter under @dir
 * @dir: /sys/kernel/debug/nty
 */
void nty_journey_debugfs(struct dentry *dir)
{
	nty_debugfs_create_table("journeys", dir, &nty_journeys_table);
	debugfs_create_file("journey_filter", 0600, dir, NULL, &nty_filter_fops);
	nty_debugfs_create_table("journey_frames", dir, &nty_journey_frames_table);
	debugfs_create_bool("journey_capture", 0600, dir, &nty_journey_capture);
}

/**
 * nty_journey_exit - free the rings; no frame is on its way any more
 */
void nty_journey_exit(void)
{
	nty_rings_free();
}

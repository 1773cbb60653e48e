// SPDX-License-Identifier: GPL-2.0
/*
 * Packet journeys: "packet, where are you?".  While timing is on (see
 * timing.c), the outcome of each frame (put on which socket's which
 * queue, or dropped at which stage and why) is written, with its flow and
 * its stage times, into a ring of the last journey_len frames, and the
 * copy to user completes the entry.  /sys/kernel/debug/nty/journeys shows
 * the ring, oldest first; journey_filter ("port=N ifindex=M", 0 = any)
 * chooses which frames are recorded.  With journey_capture on, each entry
 * also keeps the frame's first NTY_JOURNEY_CAP bytes from its Ethernet
 * header (journey_frames, which ntystat --pcap turns into pcapng): a
 * bounded copy, journey_len x NTY_JOURNEY_CAP bytes in all.
 */
#include <linux/debugfs.h>
#include <linux/etherdevice.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "nty.h"
#include "observe.h"

static unsigned int journey_len = 256;
module_param(journey_len, uint, 0444);
MODULE_PARM_DESC(journey_len, "Packet journeys kept in /sys/kernel/debug/nty/journeys (default 256, 1-65536)");

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

static struct nty_journey *nty_journeys;
/* journey_len x NTY_JOURNEY_CAP: entry i's bytes at i * NTY_JOURNEY_CAP. */
static u8 *nty_journey_bytes;
static bool nty_journey_capture;
static u32 nty_journey_seq;
static DEFINE_SPINLOCK(nty_journey_lock);
static int nty_filter_port;
static int nty_filter_ifindex;

static const char * const nty_queue_names[__NTY_Q_MAX] = {
	NTY_SOCK_QUEUES(NTY_Q_NAME, NTY_Q_NAME)
};

static bool nty_journey_wanted(const struct nty_skb_cb *cb)
{
	int port = READ_ONCE(nty_filter_port);
	int ifindex = READ_ONCE(nty_filter_ifindex);

	if (!nty_journeys || !cb->t_rcv)
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
	struct nty_journey *j;

	if (!nty_journey_wanted(cb))
		return;
	/* sock_i_ino() takes a _bh lock: not with interrupts off. */
	if (sk)
		ino = sock_i_ino((struct sock *)sk);
	spin_lock_irqsave(&nty_journey_lock, flags);
	if (!++nty_journey_seq)
		nty_journey_seq = 1;
	j = &nty_journeys[nty_journey_seq % journey_len];
	memset(j, 0, sizeof(*j));
	j->seq = nty_journey_seq;
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
		nty_journey_copy(skb, j, nty_journey_bytes +
				 (j - nty_journeys) * NTY_JOURNEY_CAP);
	cb->journey = j->seq;
	spin_unlock_irqrestore(&nty_journey_lock, flags);
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

	if (!nty_journeys)
		return;
	spin_lock_irqsave(&nty_journey_lock, flags);
	j = &nty_journeys[cb->journey % journey_len];
	/* Still this frame's entry, not overwritten by a newer one. */
	if (j->seq == cb->journey)
		j->d_copy = min_t(u64, now - cb->t_rcv, U32_MAX);
	spin_unlock_irqrestore(&nty_journey_lock, flags);
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

static int nty_journeys_show(struct seq_file *seq, void *v)
{
	struct nty_journey *copy;
	u32 i, last;

	/* Copy out under the lock; print without it. */
	copy = kvmalloc_array(journey_len, sizeof(*copy), GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	spin_lock_irq(&nty_journey_lock);
	memcpy(copy, nty_journeys, journey_len * sizeof(*copy));
	last = nty_journey_seq;
	spin_unlock_irq(&nty_journey_lock);

	seq_puts(seq, "seq saddr sport dport ifindex t_rcv_ns backlog_ns poll_ns sock_ns copy_ns outcome where what socket_port socket_ino ring_ns irq_ns\n");
	for (i = 1; i <= journey_len; i++) {
		const struct nty_journey *j = &copy[(last + i) % journey_len];

		if (j->seq)
			nty_journey_show_one(seq, j);
	}
	kvfree(copy);
	return 0;
}

static int nty_journey_frames_show(struct seq_file *seq, void *v)
{
	struct nty_journey *copy;
	u8 *bytes;
	u32 i, k, last;

	copy = kvmalloc_array(journey_len, sizeof(*copy), GFP_KERNEL);
	bytes = kvmalloc_array(journey_len, NTY_JOURNEY_CAP, GFP_KERNEL);
	if (!copy || !bytes) {
		kvfree(copy);
		kvfree(bytes);
		return -ENOMEM;
	}
	spin_lock_irq(&nty_journey_lock);
	memcpy(copy, nty_journeys, journey_len * sizeof(*copy));
	memcpy(bytes, nty_journey_bytes, journey_len * NTY_JOURNEY_CAP);
	last = nty_journey_seq;
	spin_unlock_irq(&nty_journey_lock);

	seq_puts(seq, "seq wire_len bytes\n");
	for (i = 1; i <= journey_len; i++) {
		u32 slot = (last + i) % journey_len;
		const struct nty_journey *j = &copy[slot];
		const u8 *b = bytes + slot * NTY_JOURNEY_CAP;

		if (!j->seq || !j->caplen)
			continue;
		seq_printf(seq, "%u %u ", j->seq, j->wirelen);
		/* %*phN prints at most 64 bytes at a time. */
		for (k = 0; k < j->caplen; k += 64)
			seq_printf(seq, "%*phN", min_t(int, j->caplen - k, 64), b + k);
		seq_putc(seq, '\n');
	}
	kvfree(bytes);
	kvfree(copy);
	return 0;
}

static void nty_journeys_reset(void)
{
	spin_lock_irq(&nty_journey_lock);
	memset(nty_journeys, 0, journey_len * sizeof(*nty_journeys));
	memset(nty_journey_bytes, 0, journey_len * NTY_JOURNEY_CAP);
	spin_unlock_irq(&nty_journey_lock);
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

/**
 * nty_journey_init - allocate the ring, before any frame can arrive
 *
 * Return: 0, or -EINVAL for a journey_len out of range, or -ENOMEM.
 */
int nty_journey_init(void)
{
	if (!journey_len || journey_len > 65536) {
		pr_err("nty: journey_len %u out of range (1-65536)\n", journey_len);
		return -EINVAL;
	}
	nty_journeys = vzalloc(array_size(journey_len, sizeof(*nty_journeys)));
	nty_journey_bytes = vzalloc(array_size(journey_len, NTY_JOURNEY_CAP));
	if (!nty_journeys || !nty_journey_bytes) {
		vfree(nty_journeys);
		vfree(nty_journey_bytes);
		nty_journeys = NULL;
		nty_journey_bytes = NULL;
		return -ENOMEM;
	}
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
 * nty_journey_exit - free the ring; no frame is on its way any more
 */
void nty_journey_exit(void)
{
	vfree(nty_journeys);
	vfree(nty_journey_bytes);
	nty_journeys = NULL;
	nty_journey_bytes = NULL;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Every frame NTY drops goes through nty_drop(): one table says, for each
 * kind of drop, the stage where it happens, the /proc/net/nty/snmp counter
 * it moves and the kernel drop reason the skb is freed with, so that the
 * counters, /sys/kernel/debug/nty/drops, the nty:nty_drop tracepoint and
 * perf's skb:kfree_skb (or dropwatch) always agree.
 */
#include <linux/etherdevice.h>
#include <linux/seq_file.h>

#include "nty.h"
#include "observe.h"
#include "trace.h"

static const char * const nty_stage_names[__NTY_STAGE_MAX] = {
	NTY_DROP_STAGES(NTY_STAGE_NAME, NTY_STAGE_NAME)
};

struct nty_drop_kind {
	enum nty_stage		stage;
	enum nty_mib		mib;
	enum skb_drop_reason	reason;
};

static const struct nty_drop_kind nty_drop_kinds[__NTY_DROP_MAX] = {
	[NTY_DROP_OTHERHOST] = { NTY_STAGE_RCV,
		NTY_MIB_IN_DISCARDS, SKB_DROP_REASON_OTHERHOST },
	[NTY_DROP_BACKLOG_FULL] = { NTY_STAGE_BACKLOG,
		NTY_MIB_IN_BACKLOG_DROPS, SKB_DROP_REASON_CPU_BACKLOG },
	[NTY_DROP_BACKLOG_FAULT] = { NTY_STAGE_BACKLOG,
		NTY_MIB_IN_BACKLOG_DROPS, SKB_DROP_REASON_CPU_BACKLOG },
	[NTY_DROP_DEV_GONE] = { NTY_STAGE_BACKLOG,
		NTY_MIB_IN_DISCARDS, SKB_DROP_REASON_DEV_READY },
	[NTY_DROP_HDR_SHORT] = { NTY_STAGE_PROTOCOL,
		NTY_MIB_IN_HDR_ERRORS, SKB_DROP_REASON_PKT_TOO_SMALL },
	[NTY_DROP_HDR_VERSION] = { NTY_STAGE_PROTOCOL,
		NTY_MIB_IN_HDR_ERRORS, SKB_DROP_REASON_UNHANDLED_PROTO },
	[NTY_DROP_HDR_TYPE] = { NTY_STAGE_PROTOCOL,
		NTY_MIB_IN_HDR_ERRORS, SKB_DROP_REASON_UNHANDLED_PROTO },
	[NTY_DROP_HDR_LEN] = { NTY_STAGE_PROTOCOL,
		NTY_MIB_IN_HDR_ERRORS, SKB_DROP_REASON_PKT_TOO_SMALL },
	[NTY_DROP_CSUM] = { NTY_STAGE_PROTOCOL,
		NTY_MIB_IN_CSUM_ERRORS, SKB_DROP_REASON_UDP_CSUM },
	[NTY_DROP_NO_SOCKET] = { NTY_STAGE_DEMUX,
		NTY_MIB_IN_NO_PORT, SKB_DROP_REASON_NO_SOCKET },
	[NTY_DROP_RCVBUF] = { NTY_STAGE_SOCKET,
		NTY_MIB_RCVBUF_ERRORS, SKB_DROP_REASON_SOCKET_RCVBUFF },
	[NTY_DROP_SOCKET_FAULT] = { NTY_STAGE_SOCKET,
		NTY_MIB_RCVBUF_ERRORS, SKB_DROP_REASON_SOCKET_RCVBUFF },
	[NTY_DROP_SOCK_BACKLOG] = { NTY_STAGE_SOCKET,
		NTY_MIB_SOCK_BACKLOG_DROPS, SKB_DROP_REASON_SOCKET_BACKLOG },
	[NTY_DROP_NO_CONNECTION] = { NTY_STAGE_SOCKET,
		NTY_MIB_IN_NO_PORT, SKB_DROP_REASON_NO_SOCKET },
	[NTY_DROP_SYN_QUEUE] = { NTY_STAGE_SOCKET,
		NTY_MIB_SYN_QUEUE_DROPS, SKB_DROP_REASON_SOCKET_BACKLOG },
	[NTY_DROP_LISTEN_OVERFLOW] = { NTY_STAGE_SOCKET,
		NTY_MIB_LISTEN_OVERFLOWS, SKB_DROP_REASON_SOCKET_BACKLOG },
	[NTY_DROP_DUP_SEG] = { NTY_STAGE_SOCKET,
		NTY_MIB_DUP_SEGS, SKB_DROP_REASON_TCP_OLD_DATA },
	[NTY_DROP_OUT_OF_WINDOW] = { NTY_STAGE_SOCKET,
		NTY_MIB_OUT_OF_WINDOW_SEGS, SKB_DROP_REASON_TCP_OVERWINDOW },
	[NTY_DROP_BAD_SEG] = { NTY_STAGE_SOCKET,
		NTY_MIB_IN_DISCARDS, SKB_DROP_REASON_TCP_FLAGS },
	[NTY_DROP_NOT_UNICAST] = { NTY_STAGE_DEMUX,
		NTY_MIB_IN_DISCARDS, SKB_DROP_REASON_UNHANDLED_PROTO },
	[NTY_DROP_ACK_UNSENT] = { NTY_STAGE_SOCKET,
		NTY_MIB_IN_DISCARDS, SKB_DROP_REASON_TCP_ACK_UNSENT_DATA },
	[NTY_DROP_ACK_TOO_OLD] = { NTY_STAGE_SOCKET,
		NTY_MIB_IN_DISCARDS, SKB_DROP_REASON_TCP_TOO_OLD_ACK },
	[NTY_DROP_RST_SEQ] = { NTY_STAGE_SOCKET,
		NTY_MIB_IN_DISCARDS, SKB_DROP_REASON_TCP_RESET },
	[NTY_DROP_SYN_SYNCED] = { NTY_STAGE_SOCKET,
		NTY_MIB_IN_DISCARDS, SKB_DROP_REASON_TCP_INVALID_SYN },
	[NTY_DROP_PROTO_MEM] = { NTY_STAGE_SOCKET,
		NTY_MIB_RCVBUF_ERRORS, SKB_DROP_REASON_PROTO_MEM },
	[NTY_DROP_NOT_ETHER] = { NTY_STAGE_RCV,
		NTY_MIB_IN_HDR_ERRORS, SKB_DROP_REASON_UNHANDLED_PROTO },
	/* Counted in InDelivers when it was held: not part of conservation. */
	[NTY_DROP_OFO_PRUNE] = { NTY_STAGE_SOCKET,
		NTY_MIB_OFO_PRUNED, SKB_DROP_REASON_TCP_OFO_QUEUE_PRUNE },
	[NTY_DROP_SOCKET_FILTER] = { NTY_STAGE_SOCKET,
		NTY_MIB_IN_DISCARDS, SKB_DROP_REASON_SOCKET_FILTER },
};

static const char * const nty_drop_kind_names[__NTY_DROP_MAX] = {
	NTY_DROP_KINDS(NTY_DROP_NAME, NTY_DROP_NAME)
};

/* The kernel's drop reasons by name, as skb:kfree_skb prints them. */
static const char * const nty_reason_names[] = {
	DEFINE_DROP_REASON(NTY_REASON_NAME, NTY_REASON_NAME)
};

/* Per CPU, global: drops by kind since load (or the last reset). */
static DEFINE_PER_CPU(unsigned long [__NTY_DROP_MAX], nty_drop_count);

static void __nty_drop(struct net *net, struct sock *sk, struct sk_buff *skb,
		       enum nty_drop_kind_id kind)
{
	const struct nty_drop_kind *k = &nty_drop_kinds[kind];
	unsigned int segs = nty_skb_segs(skb);

	/* A merged skb (gro.c) is that many frames lost. */
	this_cpu_add(nty_pernet(net)->mib[k->mib], segs);
	this_cpu_add(nty_drop_count[kind], segs);
	trace_nty_drop(skb, k->stage, kind, k->reason);
	if (nty_journeys_on())
		nty_journey_drop(skb, k->stage, kind);
	if (sk)
		nty_sk_skb_reason_drop(sk, skb, k->reason);
	else
		kfree_skb_reason(skb, k->reason);
}

/**
 * nty_drop - drop a received frame, counted everywhere it must be
 * @net: the namespace whose counters move
 * @skb: the frame; freed
 * @kind: which drop, see nty_drop_kinds
 */
void nty_drop(struct net *net, struct sk_buff *skb, enum nty_drop_kind_id kind)
{
	__nty_drop(net, NULL, skb, kind);
}

/**
 * nty_sk_drop - drop a frame a socket refused, as nty_drop()
 * @sk: the socket; skb:kfree_skb names it (rx_sk), as for UDP's and TCP's
 *	socket drops
 * @skb: the frame; freed
 * @kind: which drop, see nty_drop_kinds
 */
void nty_sk_drop(struct sock *sk, struct sk_buff *skb,
		 enum nty_drop_kind_id kind)
{
	__nty_drop(sock_net(sk), sk, skb, kind);
}

/**
 * nty_drop_flow - the flow a dropped frame belongs to, for nty:nty_drop
 * @skb: the frame, at any stage: it may be short, forged or non-linear,
 *	and its NTY header may not have been checked or pulled yet
 * @ifindex: the device it came in on
 * @saddr: ETH_ALEN bytes: its Ethernet source, zero without a MAC header
 * @sport: its NTY source port, zero without a whole NTY header
 * @dport: its NTY destination port, likewise
 * @type: its NTY frame type, likewise
 *
 * Reads only what the frame holds: the NTY header is copied from the
 * network header by skb_header_pointer(), which fails on a frame shorter
 * than the header.
 */
void nty_drop_flow(const struct sk_buff *skb, int *ifindex, u8 *saddr,
		   u16 *sport, u16 *dport, u8 *type)
{
	const struct ntyhdr *h;
	struct ntyhdr buf;

	*ifindex = skb->dev ? skb->dev->ifindex : skb->skb_iif;
	if (skb_mac_header_was_set(skb) &&
	    skb_network_header(skb) - skb_mac_header(skb) >= ETH_HLEN)
		ether_addr_copy(saddr, eth_hdr(skb)->h_source);
	else
		eth_zero_addr(saddr);
	h = skb_header_pointer(skb, skb_network_offset(skb), sizeof(buf), &buf);
	*sport = h ? ntohs(h->source) : 0;
	*dport = h ? ntohs(h->dest) : 0;
	*type = h ? h->type : 0;
}

/**
 * nty_stage_name - a stage's name, as debugfs and the tracepoints show it
 * @stage: enum nty_stage
 *
 * Return: the name.
 */
const char *nty_stage_name(int stage)
{
	return nty_stage_names[stage];
}

/**
 * nty_drop_kind_name - a drop kind's name, as /sys/kernel/debug/nty/drops shows it
 * @kind: enum nty_drop_kind_id
 *
 * Return: the name.
 */
const char *nty_drop_kind_name(int kind)
{
	return nty_drop_kind_names[kind];
}

/**
 * nty_drops_show - /sys/kernel/debug/nty/drops: "stage kind reason count"
 * @seq: the file
 * @v: unused
 *
 * Return: 0.
 */
int nty_drops_show(struct seq_file *seq, void *v)
{
	unsigned long sum;
	int i, cpu;

	seq_puts(seq, "stage kind reason count\n");
	for (i = 0; i < __NTY_DROP_MAX; i++) {
		sum = 0;
		for_each_possible_cpu(cpu)
			sum += per_cpu(nty_drop_count[i], cpu);
		seq_printf(seq, "%s %s %s %lu\n",
			   nty_stage_names[nty_drop_kinds[i].stage],
			   nty_drop_kind_names[i],
			   nty_reason_names[nty_drop_kinds[i].reason], sum);
	}
	return 0;
}

/**
 * nty_drops_reset - zero the drop table (a write to the debugfs file)
 */
void nty_drops_reset(void)
{
	int i, cpu;

	for_each_possible_cpu(cpu)
		for (i = 0; i < __NTY_DROP_MAX; i++)
			per_cpu(nty_drop_count[i], cpu) = 0;
}

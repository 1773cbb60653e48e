/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NTY's tracepoints, one per stage of the receive path: system "nty" in
 * /sys/kernel/tracing/events/nty/, usable from trace-cmd, perf and
 * bpftrace.  Disabled, each costs a static branch.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM nty

#if !defined(_NTY_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _NTY_TRACE_H

#include <linux/tracepoint.h>
#include <linux/skbuff.h>
#include <net/sock.h>

#include "nty.h"

#undef NTY_SYM_STAGE
#undef NTY_SYM_STAGE_LAST
#define NTY_SYM_STAGE(id, name)		{ NTY_STAGE_##id, #name },
#define NTY_SYM_STAGE_LAST(id, name)	{ NTY_STAGE_##id, #name }
#define nty_show_stage(s)						\
	__print_symbolic(s, NTY_DROP_STAGES(NTY_SYM_STAGE, NTY_SYM_STAGE_LAST))

#undef NTY_SYM_Q
#undef NTY_SYM_Q_LAST
#define NTY_SYM_Q(id, name)		{ NTY_Q_##id, #name },
#define NTY_SYM_Q_LAST(id, name)	{ NTY_Q_##id, #name }
#define nty_show_queue(q)						\
	__print_symbolic(q, NTY_SOCK_QUEUES(NTY_SYM_Q, NTY_SYM_Q_LAST))

/*
 * Enum values in the print formats, resolved for user space (perf,
 * trace-cmd, bpftrace read the format file), as include/trace/events/skb.h
 * does for the drop reasons.
 */
#undef NTY_STAGE_TRACE_ENUM
#define NTY_STAGE_TRACE_ENUM(id, name)	TRACE_DEFINE_ENUM(NTY_STAGE_##id);
NTY_DROP_STAGES(NTY_STAGE_TRACE_ENUM, NTY_STAGE_TRACE_ENUM)
#undef NTY_Q_TRACE_ENUM
#define NTY_Q_TRACE_ENUM(id, name)	TRACE_DEFINE_ENUM(NTY_Q_##id);
NTY_SOCK_QUEUES(NTY_Q_TRACE_ENUM, NTY_Q_TRACE_ENUM)
TRACE_DEFINE_ENUM(NTY_TYPE_DGRAM);
TRACE_DEFINE_ENUM(NTY_TYPE_STREAM);

#undef NTY_DROP_TRACE_ENUM
#define NTY_DROP_TRACE_ENUM(id, name)	TRACE_DEFINE_ENUM(NTY_DROP_##id);
NTY_DROP_KINDS(NTY_DROP_TRACE_ENUM, NTY_DROP_TRACE_ENUM)

#undef NTY_REASON_TRACE_ENUM
#define NTY_REASON_TRACE_ENUM(reason)	TRACE_DEFINE_ENUM(SKB_DROP_REASON_##reason);
DEFINE_DROP_REASON(NTY_REASON_TRACE_ENUM, NTY_REASON_TRACE_ENUM)

#undef NTY_DROP_SYM
#undef NTY_DROP_SYM_LAST
#define NTY_DROP_SYM(id, name)	{ NTY_DROP_##id, #name },
#define NTY_DROP_SYM_LAST(id, name)	{ NTY_DROP_##id, #name }
#define nty_show_drop_kind(k)						\
	__print_symbolic(k, NTY_DROP_KINDS(NTY_DROP_SYM, NTY_DROP_SYM_LAST))

#undef NTY_REASON_SYM
#undef NTY_REASON_SYM_LAST
#define NTY_REASON_SYM(reason)	{ SKB_DROP_REASON_##reason, #reason },
#define NTY_REASON_SYM_LAST(reason)	{ SKB_DROP_REASON_##reason, #reason }
#define nty_show_drop_reason(r)						\
	__print_symbolic(r, DEFINE_DROP_REASON(NTY_REASON_SYM, NTY_REASON_SYM_LAST))

#define nty_show_type(t)						\
	__print_symbolic(t, { 0, "none" },				\
			 { NTY_TYPE_DGRAM, "dgram" },			\
			 { NTY_TYPE_STREAM, "stream" })

/* Stage 4: the packet_type handler took a frame. */
TRACE_EVENT(nty_rcv,
	TP_PROTO(const struct sk_buff *skb),
	TP_ARGS(skb),
	TP_STRUCT__entry(
		__field(const void *, skbaddr)
		__field(int, ifindex)
		__field(unsigned int, len)
		__array(u8, saddr, ETH_ALEN)
	),
	TP_fast_assign(
		__entry->skbaddr = skb;
		__entry->ifindex = skb->dev->ifindex;
		__entry->len = skb->len;
		memcpy(__entry->saddr, eth_hdr(skb)->h_source, ETH_ALEN);
	),
	TP_printk("skbaddr=%p ifindex=%d len=%u saddr=%pM", __entry->skbaddr,
		  __entry->ifindex, __entry->len, __entry->saddr)
);

/* Stage 5: queued on a CPU's backlog (qlen after the enqueue). */
TRACE_EVENT(nty_backlog_enqueue,
	TP_PROTO(const struct sk_buff *skb, int cpu, unsigned int qlen),
	TP_ARGS(skb, cpu, qlen),
	TP_STRUCT__entry(
		__field(const void *, skbaddr)
		__field(int, cpu)
		__field(unsigned int, qlen)
	),
	TP_fast_assign(
		__entry->skbaddr = skb;
		__entry->cpu = cpu;
		__entry->qlen = qlen;
	),
	TP_printk("skbaddr=%p cpu=%d qlen=%u", __entry->skbaddr, __entry->cpu,
		  __entry->qlen)
);

/* Stage 5: one NAPI poll of a CPU's backlog. */
TRACE_EVENT(nty_napi_poll,
	TP_PROTO(int cpu, int work, int budget, bool squeezed),
	TP_ARGS(cpu, work, budget, squeezed),
	TP_STRUCT__entry(
		__field(int, cpu)
		__field(int, work)
		__field(int, budget)
		__field(bool, squeezed)
	),
	TP_fast_assign(
		__entry->cpu = cpu;
		__entry->work = work;
		__entry->budget = budget;
		__entry->squeezed = squeezed;
	),
	TP_printk("cpu=%d work=%d budget=%d squeezed=%d", __entry->cpu,
		  __entry->work, __entry->budget, __entry->squeezed)
);

/* Stage 7: demux found a socket (ino) or none (0). */
TRACE_EVENT(nty_demux,
	TP_PROTO(const struct sk_buff *skb, const struct nty_skb_cb *cb,
		 const struct sock *sk),
	TP_ARGS(skb, cb, sk),
	TP_STRUCT__entry(
		__field(const void *, skbaddr)
		__field(u16, sport)
		__field(u16, dport)
		__field(int, ifindex)
		__array(u8, saddr, ETH_ALEN)
		__field(bool, bcast)
		__field(bool, found)
	),
	TP_fast_assign(
		__entry->skbaddr = skb;
		__entry->sport = ntohs(cb->sport);
		__entry->dport = ntohs(cb->dport);
		__entry->ifindex = cb->ifindex;
		memcpy(__entry->saddr, cb->saddr, ETH_ALEN);
		__entry->bcast = cb->bcast;
		__entry->found = !!sk;
	),
	TP_printk("skbaddr=%p saddr=%pM sport=%u dport=%u ifindex=%d bcast=%d found=%d",
		  __entry->skbaddr, __entry->saddr, __entry->sport,
		  __entry->dport, __entry->ifindex, __entry->bcast,
		  __entry->found)
);

/* Stage 8: a socket took the frame on one of its queues. */
TRACE_EVENT(nty_sock_enqueue,
	TP_PROTO(const struct sock *sk, const struct sk_buff *skb, int queue),
	TP_ARGS(sk, skb, queue),
	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(const void *, skbaddr)
		__field(u16, lport)
		__field(int, queue)
		__field(unsigned int, len)
		__field(int, rmem)
	),
	TP_fast_assign(
		__entry->skaddr = sk;
		__entry->skbaddr = skb;
		__entry->lport = ntohs(nty_sk(sk)->sport);
		__entry->queue = queue;
		__entry->len = skb->len;
		__entry->rmem = atomic_read(&sk->sk_rmem_alloc);
	),
	TP_printk("skaddr=%p skbaddr=%p lport=%u queue=%s len=%u rmem=%d",
		  __entry->skaddr, __entry->skbaddr, __entry->lport,
		  nty_show_queue(__entry->queue), __entry->len, __entry->rmem)
);

/* Stage 9: sk_data_ready() called for a socket. */
TRACE_EVENT(nty_wakeup,
	TP_PROTO(const struct sock *sk),
	TP_ARGS(sk),
	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(u16, lport)
	),
	TP_fast_assign(
		__entry->skaddr = sk;
		__entry->lport = ntohs(nty_sk(sk)->sport);
	),
	TP_printk("skaddr=%p lport=%u", __entry->skaddr, __entry->lport)
);

/*
 * Stage 10: recvmsg copied a datagram, or part of a segment, to user
 * space.  skbaddr pairs it with the frame's nty_rcv (the time a frame
 * spent on the path, per flow, in one bpftrace line).
 */
TRACE_EVENT(nty_copy_to_user,
	TP_PROTO(const struct sock *sk, const struct sk_buff *skb, int copied),
	TP_ARGS(sk, skb, copied),
	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(const void *, skbaddr)
		__field(u16, lport)
		__field(u16, sport)
		__array(u8, saddr, ETH_ALEN)
		__field(unsigned int, len)
		__field(int, copied)
	),
	TP_fast_assign(
		const struct nty_skb_cb *cb = NTY_SKB_CB(skb);
		const struct nty_sock *ns = nty_sk(sk);

		__entry->skaddr = sk;
		__entry->skbaddr = skb;
		__entry->lport = ntohs(ns->sport);
		/*
		 * A queued stream segment's cb holds its sequence numbers
		 * (struct nty_seg), not its addresses: the peer is the
		 * connection's.
		 */
		if (sk->sk_type == SOCK_STREAM) {
			__entry->sport = ntohs(ns->dport);
			memcpy(__entry->saddr, ns->daddr, ETH_ALEN);
		} else {
			__entry->sport = ntohs(cb->sport);
			memcpy(__entry->saddr, cb->saddr, ETH_ALEN);
		}
		__entry->len = skb->len;
		__entry->copied = copied;
	),
	TP_printk("skaddr=%p skbaddr=%p lport=%u saddr=%pM sport=%u len=%u copied=%d",
		  __entry->skaddr, __entry->skbaddr, __entry->lport,
		  __entry->saddr, __entry->sport, __entry->len,
		  __entry->copied)
);

/* Any stage: a frame was dropped (kind: see /sys/kernel/debug/nty/drops). */
/*
 * A frame dropped, at any stage: where, why (NTY's kind and the kernel's
 * reason, both by name) and whose (the flow, from what the frame holds:
 * ports and type are zero when it is shorter than an NTY header).
 */
TRACE_EVENT(nty_drop,
	TP_PROTO(const struct sk_buff *skb, int stage, int kind, int reason),
	TP_ARGS(skb, stage, kind, reason),
	TP_STRUCT__entry(
		__field(const void *, skbaddr)
		__field(int, ifindex)
		__array(u8, saddr, ETH_ALEN)
		__field(u16, sport)
		__field(u16, dport)
		__field(u8, type)
		__field(int, stage)
		__field(int, kind)
		__field(int, reason)
	),
	TP_fast_assign(
		__entry->skbaddr = skb;
		nty_drop_flow(skb, &__entry->ifindex, __entry->saddr,
			      &__entry->sport, &__entry->dport,
			      &__entry->type);
		__entry->stage = stage;
		__entry->kind = kind;
		__entry->reason = reason;
	),
	TP_printk("skbaddr=%p ifindex=%d saddr=%pM sport=%u dport=%u type=%s stage=%s kind=%s reason=%s",
		  __entry->skbaddr, __entry->ifindex, __entry->saddr,
		  __entry->sport, __entry->dport, nty_show_type(__entry->type),
		  nty_show_stage(__entry->stage),
		  nty_show_drop_kind(__entry->kind),
		  nty_show_drop_reason(__entry->reason))
);

#endif /* _NTY_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>

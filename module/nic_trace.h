/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ntynic's tracepoints: the hard IRQ and the NAPI poll of a channel.  They
 * are the driver's only way of telling anyone else when it ran; a protocol
 * that wants the times of its frames attaches a probe (timing.c does).
 * System "nty", beside the protocol's own events.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM nty

#if !defined(_NTY_NIC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _NTY_NIC_TRACE_H

#include <linux/tracepoint.h>
#include <linux/netdevice.h>

/*
 * Stage 2: an ntynic channel's hard IRQ ran (the CPU is the event's).
 * ifindex alone is ambiguous: each namespace numbers its own devices.
 */
TRACE_EVENT(nty_nic_irq,
	TP_PROTO(const struct net_device *dev, int queue),
	TP_ARGS(dev, queue),
	TP_STRUCT__entry(
		__array(char, name, IFNAMSIZ)
		__field(int, ifindex)
		__field(int, queue)
	),
	TP_fast_assign(
		memcpy(__entry->name, dev->name, IFNAMSIZ);
		__entry->ifindex = dev->ifindex;
		__entry->queue = queue;
	),
	TP_printk("dev=%s ifindex=%d queue=%d", __entry->name,
		  __entry->ifindex, __entry->queue)
);

/* Stage 3: an ntynic channel's NAPI poll took @work of @budget. */
TRACE_EVENT(nty_nic_poll,
	TP_PROTO(const struct net_device *dev, int queue, int work, int budget),
	TP_ARGS(dev, queue, work, budget),
	TP_STRUCT__entry(
		__array(char, name, IFNAMSIZ)
		__field(int, ifindex)
		__field(int, queue)
		__field(int, work)
		__field(int, budget)
	),
	TP_fast_assign(
		memcpy(__entry->name, dev->name, IFNAMSIZ);
		__entry->ifindex = dev->ifindex;
		__entry->queue = queue;
		__entry->work = work;
		__entry->budget = budget;
	),
	TP_printk("dev=%s ifindex=%d queue=%d work=%d budget=%d",
		  __entry->name, __entry->ifindex, __entry->queue,
		  __entry->work, __entry->budget)
);

/*
 * Stage 3: a channel's NAPI poll begins.  @irq_ns is the CLOCK_MONOTONIC
 * time of the hard IRQ that scheduled it; @first is set on the first poll since
 * that IRQ.  Frames the poll hands up carry their ring time as the skb's
 * hardware timestamp, on the same clock.
 */
TRACE_EVENT(nty_nic_poll_start,
	TP_PROTO(const struct net_device *dev, int queue, u64 irq_ns,
		 bool first),
	TP_ARGS(dev, queue, irq_ns, first),
	TP_STRUCT__entry(
		__array(char, name, IFNAMSIZ)
		__field(int, ifindex)
		__field(int, queue)
		__field(u64, irq_ns)
		__field(bool, first)
	),
	TP_fast_assign(
		memcpy(__entry->name, dev->name, IFNAMSIZ);
		__entry->ifindex = dev->ifindex;
		__entry->queue = queue;
		__entry->irq_ns = irq_ns;
		__entry->first = first;
	),
	TP_printk("dev=%s ifindex=%d queue=%d irq_ns=%llu first=%d",
		  __entry->name, __entry->ifindex, __entry->queue,
		  __entry->irq_ns, __entry->first)
);

#endif /* _NTY_NIC_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE nic_trace
#include <trace/define_trace.h>

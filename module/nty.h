/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NTY internal declarations: what one stage of the receive path calls in
 * another.  Each stage lives in its own file; see the README for the order.
 */
#ifndef _NTY_H
#define _NTY_H

#include <linux/types.h>
#include <linux/skbuff.h>
#include <linux/netdevice.h>
#include <linux/percpu.h>
#include <net/sock.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <linux/jump_label.h>
#include <linux/jump_label_ratelimit.h>
#include <uapi/linux/nty.h>

#include "compat.h"

/* Module parameters (main.c). */
extern int nty_family;
extern __be16 nty_ethertype_be;

/*
 * The per-namespace counters of /proc/net/nty/snmp.  Their names are in
 * proc.c, one line each beside its index, as snmp4_ipstats_list does.
 */
enum nty_mib {
	NTY_MIB_IN_FRAMES,
	NTY_MIB_IN_BACKLOG_DROPS,
	NTY_MIB_IN_HDR_ERRORS,
	NTY_MIB_IN_CSUM_ERRORS,
	NTY_MIB_IN_NO_PORT,
	NTY_MIB_IN_DISCARDS,
	NTY_MIB_IN_BCAST_COPIES,
	NTY_MIB_IN_DELIVERS,
	NTY_MIB_RCVBUF_ERRORS,
	NTY_MIB_SOCK_BACKLOG_QUEUED,
	NTY_MIB_SOCK_BACKLOG_DROPS,
	NTY_MIB_PREQUEUE_QUEUED,
	NTY_MIB_PREQUEUE_PROCESSED,
	NTY_MIB_PREQUEUE_OVERFLOW,
	NTY_MIB_OUT_FRAMES,
	NTY_MIB_OUT_DROPS,
	/* The NtyStream: line from here on. */
	NTY_MIB_ACTIVE_OPENS,
	NTY_MIB_PASSIVE_OPENS,
	NTY_MIB_ATTEMPT_FAILS,
	NTY_MIB_ESTAB_RESETS,
	NTY_MIB_OUT_RSTS,
	NTY_MIB_LISTEN_OVERFLOWS,
	NTY_MIB_LISTEN_DROPS,
	NTY_MIB_SYN_QUEUE_DROPS,
	NTY_MIB_RETRANS_SEGS,
	NTY_MIB_FAST_RETRANS,
	NTY_MIB_DUP_SEGS,
	NTY_MIB_PARTIAL_DUP_SEGS,
	NTY_MIB_OUT_OF_WINDOW_SEGS,
	NTY_MIB_OFO_QUEUED,
	NTY_MIB_ZERO_WINDOW_ADV,
	NTY_MIB_WINDOW_PROBES,
	NTY_MIB_DELAYED_ACKS,
	NTY_MIB_OUT_GSO_TRAINS,
	NTY_MIB_OUT_GSO_SEGMENTED,
	NTY_MIB_IN_GSO_TRAINS,
	NTY_MIB_CHALLENGE_ACKS,
	NTY_MIB_ACKS_RATELIMITED,
	NTY_MIB_ORPHAN_ABORTS,
	NTY_MIB_OFO_PRUNED,
	NTY_MIB_RCV_COALESCE,
	__NTY_MIB_MAX
};

#define NTY_MIB_STREAM_FIRST	NTY_MIB_ACTIVE_OPENS

/**
 * struct nty_net - NTY's state in one network namespace
 * @mib: per-CPU counters, indexed by enum nty_mib
 * @proc_dir: /proc/net/nty
 * @sysctl_hdr: /proc/sys/net/nty
 * @somaxconn: listen backlog clamp (net.core.somaxconn)
 * @rmem_default: initial SO_RCVBUF (net.core.rmem_default)
 * @rmem_max: largest SO_RCVBUF a user may set (net.core.rmem_max)
 * @wmem_default: initial SO_SNDBUF (net.core.wmem_default)
 * @wmem_max: largest SO_SNDBUF a user may set (net.core.wmem_max)
 * @prequeue: 1 to let a blocked reader do stream protocol work
 * @delayed_ack: 1 to acknowledge every second full segment, or after
 *	NTY_DELACK_MIN, as TCP does; 0 to acknowledge every segment at once
 * @max_syn_backlog: half-open entries a listener keeps (tcp_max_syn_backlog)
 * @syn_retries: SYN retransmissions before connect fails (tcp_syn_retries)
 * @synack_retries: SYN-ACK retransmissions before a half-open entry
 *	expires (tcp_synack_retries)
 * @fin_timeout: seconds an orphaned connection waits in FIN_WAIT2
 *	(tcp_fin_timeout)
 * @invalid_ratelimit: ms between two ACKs a socket sends in answer to
 *	unacceptable ACK-only segments (tcp_invalid_ratelimit)
 * @orphan_retries: retransmissions or probes of a closed socket before it
 *	gives up, 0 meaning 8 (tcp_orphan_retries)
 * @max_orphans: closed connections still finishing, over all namespaces,
 *	past which a close resets at once (tcp_max_orphans)
 * @port_range: ephemeral ports, [0] to [1] (net.ipv4.ip_local_port_range)
 * @sklist: every NTY socket of the namespace, for /proc/net/nty/sockets
 * @sklist_lock: serialises writers of @sklist
 */
struct nty_net {
	unsigned long __percpu	*mib;
	struct proc_dir_entry	*proc_dir;
	struct ctl_table_header	*sysctl_hdr;
	int			somaxconn;
	int			rmem_default;
	int			rmem_max;
	int			wmem_default;
	int			wmem_max;
	int			prequeue;
	int			delayed_ack;
	int			max_syn_backlog;
	int			syn_retries;
	int			synack_retries;
	int			fin_timeout;
	int			invalid_ratelimit;
	int			orphan_retries;
	int			max_orphans;
	int			port_range[2];
	struct hlist_head	sklist;
	spinlock_t		sklist_lock;	/* writers of @sklist */
};

extern unsigned int nty_net_id;

static inline struct nty_net *nty_pernet(const struct net *net)
{
	return net_generic(net, nty_net_id);
}

/* How long an orphaned connection may wait in FIN_WAIT2, in jiffies. */
static inline unsigned long nty_fin_timeout(const struct sock *sk)
{
	return READ_ONCE(nty_pernet(sock_net(sk))->fin_timeout) * HZ;
}

/* Callable from any context: this_cpu_inc is IRQ safe. */
#define NTY_INC_STATS(net, field) \
	this_cpu_inc(nty_pernet(net)->mib[NTY_MIB_##field])
#define NTY_ADD_STATS(net, field, n) \
	this_cpu_add(nty_pernet(net)->mib[NTY_MIB_##field], n)

/**
 * struct nty_seg - a stream segment's place in the byte stream
 * @seq: sequence number of its first payload byte
 * @end_seq: @seq plus payload length, plus one for SYN or FIN
 * @flags: NTY_F_* it carries (FIN matters once it is queued)
 *
 * Written over the addresses of struct nty_skb_cb once a stream segment
 * is queued (receive or out-of-order queue), when the connection knows the
 * addresses already, and kept in the cb of send-queue segments.
 */
struct nty_seg {
	u32	seq;
	u32	end_seq;
	u8	flags;
};

/**
 * struct nty_skb_cb - what the receive path learns about a frame
 * @seg: stream segments on a socket queue, in place of the addresses
 * @ifindex: interface the frame arrived on
 * @sport: sender's port (network order)
 * @dport: destination port (network order)
 * @saddr: sender's MAC
 * @bcast: sent to a broadcast or multicast MAC
 * @gso_more: came in a train (gso.c) and more of it follows
 * @sk_type: socket type the frame is for (SOCK_DGRAM or SOCK_STREAM)
 * @t_rcv: CLOCK_MONOTONIC ns at the packet_type handler; 0 = not timed
 * @d_backlog: ns from @t_rcv to the backlog enqueue
 * @d_poll: ns from @t_rcv to the NAPI poll
 * @d_sock: ns from @t_rcv to a socket queue
 * @journey: sequence number of its packet journey entry, 0 = none
 * @d_irq: ns from the ntynic hard IRQ that got the frame polled to
 *	@t_rcv; 0 = not from an ntynic (the ring time is the skb's
 *	hardware timestamp)
 *
 * Kept clear of the tail of skb->cb, where struct sock_skb_cb (the drop
 * count for SO_RXQ_OVFL) lives once the frame is on a socket.
 */
struct nty_skb_cb {
	union {
		struct {
			int		ifindex;
			__be16		sport;
			__be16		dport;
			u8		saddr[ETH_ALEN];
			u8		bcast:1;
			u8		gso_more:1;
			u8		sk_type;
		};
		struct nty_seg	seg;
	};
	u64		t_rcv;
	u32		d_backlog;
	u32		d_poll;
	u32		d_sock;
	u32		journey;
	u32		d_irq;
};

#define NTY_SKB_CB(skb) ((struct nty_skb_cb *)((skb)->cb))

/**
 * struct nty_sock - an AF_NTY socket
 * @sk: the socket; must stay first
 * @bind_node: link in the port table (demux.c)
 * @conn_node: link in the connected table (demux.c)
 * @sport: local port, network order; 0 while unbound
 * @bound_ifindex: bound interface, 0 = any
 * @dport: connected peer's port
 * @daddr: connected peer's MAC
 * @difindex: interface toward the connected peer
 * @connected: the peer fields are valid and @conn_node is hashed
 * @stage_times: NTY_STAGE_TIMES is set
 */
struct nty_sock {
	struct sock		sk;
	struct hlist_node	bind_node;
	struct hlist_node	conn_node;
	__be16			sport;
	int			bound_ifindex;
	__be16			dport;
	u8			daddr[ETH_ALEN];
	int			difindex;
	bool			connected;
	bool			stage_times;
};

static inline struct nty_sock *nty_sk(const struct sock *sk)
{
	return (struct nty_sock *)sk;
}

/**
 * struct nty_rtt - round-trip estimate of one connection (RFC 6298)
 * @srtt_us: smoothed round-trip time, 0 before the first sample
 * @rttvar_us: its variation
 * @rto_us: retransmission timeout before backoff
 */
struct nty_rtt {
	u32	srtt_us;
	u32	rttvar_us;
	u32	rto_us;
};

/**
 * struct nty_request - a half-open connection on a listener's SYN queue
 * @node: link in the listener's SYN queue
 * @raddr: peer MAC
 * @rport: peer port
 * @ifindex: interface the SYN came in on
 * @iss: our initial sequence number
 * @irs: the peer's initial sequence number
 * @snd_wnd: the window the peer's SYN offered
 * @rcv_wnd: the window our SYN-ACK offered
 * @expires: jiffies when the SYN-ACK is resent, or the entry expires
 * @retrans: SYN-ACKs resent so far
 */
struct nty_request {
	struct list_head	node;
	u8			raddr[ETH_ALEN];
	__be16			rport;
	int			ifindex;
	u32			iss;
	u32			irs;
	u32			snd_wnd;
	u32			rcv_wnd;
	unsigned long		expires;
	u8			retrans;
};

/**
 * struct nty_stream_sock - a stream socket: a small TCP
 * @ns: the NTY socket; must stay first
 * @snd_una: first byte not yet acknowledged
 * @snd_nxt: next byte to send
 * @write_seq: the byte after the last one the user wrote (or FIN)
 * @snd_wnd: the peer's advertised window, in bytes
 * @snd_wl1: peer's seq of the segment that last updated @snd_wnd
 * @snd_wl2: peer's ack of that segment
 * @iss: our initial sequence number
 * @mss: largest payload of a segment (interface MTU less the header)
 * @send_head: first segment of the send queue not yet sent
 * @recover: snd_nxt when loss recovery began; partial ACKs below it
 *	retransmit the next hole at once (NewReno)
 * @dupacks: duplicate ACKs in a row
 * @in_recovery: between a fast retransmit or RTO and @recover
 * @rtt: round-trip estimate
 * @rtt_seq: sequence number whose ACK ends the RTT measurement
 * @rtt_start_us: when that measurement started; 0 = none running
 * @backoff: RTO doublings since the last ACK that advanced
 * @max_window: the largest window the peer ever offered (RFC 5961 5.2)
 * @rcv_tstamp: jiffies of the last acceptable ACK
 * @probes_out: window probes since the last acceptable ACK
 * @last_oow_ack: jiffies of the last rate-limited ACK sent, 0 = none
 * @rcv_nxt: next byte expected from the peer
 * @copied_seq: next byte recvmsg() hands to the user
 * @rcv_wup: rcv_nxt when the window was last advertised
 * @rcv_wnd: that advertised window, in bytes
 * @rcv_ratio: payload per truesize byte, << 8, seen on received segments
 * @delack_timer: sends the ACK that @ack_pending holds back
 * @ack_pending: data received and not yet acknowledged
 * @wake_pending: data queued and its reader not yet woken (a train's)
 * @ofo_queue: segments beyond a gap, in sequence order
 * @prequeue: segments a softirq left for the blocked reader
 * @prequeue_mem: truesize on @prequeue
 * @ucopy_task: the reader blocked in recvmsg(), NULL when none
 * @syn_queue: half-open entries (listener)
 * @syn_qlen: entries on @syn_queue
 * @accept_queue: established children not yet accepted (listener)
 * @accept_node: link in the listener's @accept_queue (child)
 * @fin_sent: FIN is on the send queue
 * @done: unhashed and off the socket list for good
 * @orphan: closed by its user and counted in nty_orphan_count
 */
struct nty_stream_sock {
	struct nty_sock		ns;
	u32			snd_una;
	u32			snd_nxt;
	u32			write_seq;
	u32			snd_wnd;
	u32			snd_wl1;
	u32			snd_wl2;
	u32			iss;
	u16			mss;
	struct sk_buff		*send_head;
	u32			recover;
	u8			dupacks;
	bool			in_recovery;
	struct nty_rtt		rtt;
	u32			rtt_seq;
	u64			rtt_start_us;
	u8			backoff;
	u8			probes_out;
	u32			max_window;
	unsigned long		rcv_tstamp;
	unsigned long		last_oow_ack;
	u32			rcv_nxt;
	u32			copied_seq;
	u32			rcv_wup;
	u32			rcv_wnd;
	u32			rcv_ratio;
	struct timer_list	delack_timer;
	bool			ack_pending;
	bool			wake_pending;
	struct sk_buff_head	ofo_queue;
	struct sk_buff_head	prequeue;
	unsigned int		prequeue_mem;
	struct task_struct	*ucopy_task;
	struct list_head	syn_queue;
	int			syn_qlen;
	struct list_head	accept_queue;
	struct list_head	accept_node;
	bool			fin_sent;
	bool			done;
	bool			orphan;
};

extern atomic_t nty_orphan_count;

static inline struct nty_stream_sock *nty_ts(const struct sock *sk)
{
	return (struct nty_stream_sock *)sk;
}

/* Bytes of the last advertised window not yet filled (0 when none). */
static inline u32 nty_rcv_wnd_left(const struct nty_stream_sock *ts)
{
	s32 left = ts->rcv_wup + ts->rcv_wnd - ts->rcv_nxt;

	return left > 0 ? left : 0;
}

/* What a full segment costs the receive buffer, by the measured ratio. */
static inline int nty_seg_truesize(const struct nty_stream_sock *ts)
{
	return ((u32)(ts->mss ?: 1) << 8) / max(ts->rcv_ratio, 1U);
}

static inline const struct ntyhdr *nty_hdr(const struct sk_buff *skb)
{
	return (const struct ntyhdr *)skb_transport_header(skb);
}

/* Global tunables (sysctl.c); per-CPU and so not per namespace. */
extern int nty_max_backlog;
extern int nty_napi_weight;

/* The stages, as the drop table and the tracepoints name them. */
enum nty_stage {
	NTY_STAGE_RCV,
	NTY_STAGE_BACKLOG,
	NTY_STAGE_PROTOCOL,
	NTY_STAGE_DEMUX,
	NTY_STAGE_SOCKET,
	__NTY_STAGE_MAX
};

/* The socket queue a frame went to (nty:nty_sock_enqueue). */
enum nty_sock_queue {
	NTY_Q_RECEIVE,
	NTY_Q_BACKLOG,
	NTY_Q_PREQUEUE,
	NTY_Q_OFO,
};

#include "drop_kinds.h"

struct seq_file;
void nty_drop(struct net *net, struct sk_buff *skb, enum nty_drop_kind_id kind);
void nty_sk_drop(struct sock *sk, struct sk_buff *skb,
		 enum nty_drop_kind_id kind);
void nty_drop_flow(const struct sk_buff *skb, int *ifindex, u8 *saddr,
		   u16 *sport, u16 *dport, u8 *type);
int nty_drops_show(struct seq_file *seq, void *v);
const char *nty_stage_name(int stage);
const char *nty_drop_kind_name(int kind);
void nty_drops_reset(void);

/* fault.c: failure points for the kernel's fault-injection framework. */
struct dentry;
#ifdef CONFIG_FAULT_INJECTION
bool nty_fail_backlog(void);
bool nty_fail_sock_enqueue(void);
bool nty_fail_send_alloc(void);
bool nty_fail_nic_refill(void);
void nty_fault_init(struct dentry *dir);
#else
static inline bool nty_fail_backlog(void) { return false; }
static inline bool nty_fail_sock_enqueue(void) { return false; }
static inline bool nty_fail_send_alloc(void) { return false; }
static inline bool nty_fail_nic_refill(void) { return false; }
static inline void nty_fault_init(struct dentry *dir) { }
#endif

/*
 * timing.c: per-stage times.  Frames are stamped only while the static
 * key is on: while the histograms are enabled or a socket asked for
 * NTY_STAGE_TIMES.  Off, each stage costs one patched-out branch.
 */
extern struct static_key_false_deferred nty_timing_key;
extern bool nty_hist_on;

enum nty_stamp {
	NTY_STAMP_BACKLOG,
	NTY_STAMP_POLL,
	NTY_STAMP_SOCK,
};

void nty_stamp_rcv(struct sk_buff *skb);
void __nty_stamp(struct sk_buff *skb, enum nty_stamp stage);
void nty_timing_copied(struct sock *sk, struct sk_buff *skb,
		       struct msghdr *msg);
void nty_hist_backlog_len(unsigned int qlen);
void nty_hist_poll(int work);
void nty_hist_nic_ring(u64 ns);
void nty_hist_nic_irq(u64 ns);
int nty_timing_get(void);
void nty_timing_put(void);
void nty_timing_debugfs(struct dentry *dir);
void nty_timing_exit(void);

static inline bool nty_timing_on(void)
{
	return static_branch_unlikely(&nty_timing_key.key);
}

/*
 * Journeys are recorded only while root has timing switched on in
 * debugfs: a socket's NTY_STAGE_TIMES stamps frames, and must not fill
 * the global ring (and take its lock) for every frame of every namespace.
 */
static inline bool nty_journeys_on(void)
{
	return nty_timing_on() && READ_ONCE(nty_hist_on);
}

static inline void nty_stamp(struct sk_buff *skb, enum nty_stamp stage)
{
	if (nty_timing_on())
		__nty_stamp(skb, stage);
}

/* journey.c: the last frames' paths. */
void nty_journey_deliver(const struct sock *sk, struct sk_buff *skb,
			 int queue);
void nty_journey_drop(struct sk_buff *skb, int stage, int kind);
void nty_journey_copied(struct sk_buff *skb, u64 now);
int nty_journey_init(void);
void nty_journey_debugfs(struct dentry *dir);
void nty_journey_exit(void);

/* wire.c: the header, built and validated in one place. */
enum nty_hdr_verdict {
	NTY_HDR_OK,
	NTY_HDR_SHORT,		/* shorter than the header */
	NTY_HDR_VERSION,	/* unknown version */
	NTY_HDR_TYPE,		/* unknown type */
	NTY_HDR_LEN,		/* len field disagrees with the frame */
	NTY_HDR_CSUM,		/* checksum wrong */
};

void nty_build_header(struct ntyhdr *nh, u8 type, u8 flags, __be16 sport,
		      __be16 dport, unsigned int len);
__sum16 nty_csum(const void *buf, unsigned int len);
void nty_csum_partial(struct sk_buff *skb);
int nty_csum_for_dev(struct sk_buff *skb, const struct net_device *dev);
bool nty_csum_needs_help(const struct net_device *dev,
			 netdev_features_t features);
enum nty_hdr_verdict nty_check_header(const struct ntyhdr *nh,
				      unsigned int frame_len);
enum nty_hdr_verdict nty_validate_skb(struct sk_buff *skb);

/* nic.c and its stages: ntynic, the virtual NIC. */
int nty_nic_init(void);
void nty_nic_exit(void);
extern const struct net_device_ops nty_nic_netdev_ops;
bool nty_nic_rx_times(const struct sk_buff *skb, u64 *t_ring, u64 *t_irq);

/* gso.c: trains of stream segments (segmentation offload). */
#define NTY_GSO_MAX_SEGS	64
/* Unsent bytes a sendmsg() gathers before it pushes: one full train. */
#define NTY_PUSH_GOAL		(60 * 1024)
void nty_gso_init(void);
void nty_gso_exit(void);

/* A train nty_gso_train() built: its segments in frag_list, nothing else. */
static inline bool nty_gso_is_train(const struct sk_buff *skb)
{
	return skb_is_gso(skb) &&
	       (skb_shinfo(skb)->gso_type & SKB_GSO_FRAGLIST) &&
	       skb_has_frag_list(skb) && !skb_headlen(skb) &&
	       !skb_shinfo(skb)->nr_frags;
}

struct sk_buff *nty_gso_split(struct sk_buff *carrier);
void nty_gso_train(struct sk_buff *carrier, struct sk_buff *segs,
		   unsigned int n, unsigned int mss);

/* input.c: the packet_type handler. */
int nty_input_init(void);
void nty_input_exit(void);

/* backlog.c: per-CPU backlog and its NAPI poll. */
struct nty_softnet_stat {
	unsigned long processed;
	unsigned long dropped;
	unsigned long time_squeeze;
	unsigned long received_rps;
	unsigned int qlen;
	bool napi_scheduled;
};

int nty_backlog_init(void);
void nty_backlog_exit(void);
int nty_enqueue_to_backlog(struct sk_buff *skb);
void nty_softnet_stat(int cpu, struct nty_softnet_stat *st);
void nty_backlog_set_weight(int weight);
int nty_rps_set_cpus(const struct cpumask *mask);
void nty_rps_get_cpus(struct cpumask *mask);

/* demux.c: socket tables. */
int nty_demux_init(void);
void nty_demux_exit(void);
int nty_bind_port(struct sock *sk, __be16 port, int ifindex);
void nty_unhash(struct sock *sk);
int nty_hash_connected(struct sock *sk);
int nty_listen_port(struct sock *sk);
void nty_hash_child(struct sock *sk);
void nty_unhash_connected(struct sock *sk);
struct sock *nty_lookup(struct net *net, const struct nty_skb_cb *cb);
struct sock *nty_lookup_connected(struct net *net, const struct nty_skb_cb *cb);
int nty_deliver_bcast(struct net *net, struct sk_buff *skb,
		      int (*deliver)(struct sock *sk, struct sk_buff *skb));

/* af_nty.c: socket memory (net.nty.mem), shared by both socket types. */
extern atomic_long_t nty_memory_allocated;
DECLARE_PER_CPU(int, nty_memory_per_cpu_fw_alloc);
extern long nty_sysctl_mem[3];
extern int nty_sysctl_rmem[3];
extern int nty_sysctl_wmem[3];

#define NTY_PROTO_MEMORY						\
	.memory_allocated	= &nty_memory_allocated,		\
	.per_cpu_fw_alloc	= &nty_memory_per_cpu_fw_alloc,		\
	.sysctl_mem		= nty_sysctl_mem,			\
	.sysctl_rmem		= nty_sysctl_rmem,			\
	.sysctl_wmem		= nty_sysctl_wmem

/*
 * Room for @skb on a receive queue: under SO_RCVBUF, then within the
 * memory budget.  Return: __NTY_DROP_MAX, or the drop kind.
 */
static inline enum nty_drop_kind_id nty_rmem_check(struct sock *sk,
						   struct sk_buff *skb)
{
	if (atomic_read(&sk->sk_rmem_alloc) + skb->truesize >
	    READ_ONCE(sk->sk_rcvbuf))
		return NTY_DROP_RCVBUF;
	if (!sk_rmem_schedule(sk, skb, skb->truesize))
		return NTY_DROP_PROTO_MEM;
	return __NTY_DROP_MAX;
}

/* A send-queue segment's memory: sk_wmem_queued and the budget. */
static inline void nty_wmem_charge(struct sock *sk, struct sk_buff *skb)
{
	sk_wmem_queued_add(sk, skb->truesize);
	sk_mem_charge(sk, skb->truesize);
}

static inline void nty_wmem_free_skb(struct sock *sk, struct sk_buff *skb)
{
	sk_wmem_queued_add(sk, -skb->truesize);
	sk_mem_uncharge(sk, skb->truesize);
	consume_skb(skb);
}

/* datagram.c: the datagram socket type. */
extern const struct proto_ops nty_dgram_ops;
extern struct proto nty_dgram_proto;
void nty_dgram_init_sock(struct sock *sk);
int nty_dgram_rcv(struct sock *sk, struct sk_buff *skb);

/* stream.c, stream_input.c, stream_output.c, listen.c: stream sockets. */
extern const struct proto_ops nty_stream_ops;
extern struct proto nty_stream_proto;
void nty_stream_init_sock(struct sock *sk);
int __nty_stream_rcv(struct sock *sk, struct sk_buff *skb, int subclass);

static inline int nty_stream_rcv(struct sock *sk, struct sk_buff *skb)
{
	return __nty_stream_rcv(sk, skb, 0);
}

int nty_stream_do_rcv(struct sock *sk, struct sk_buff *skb);
void nty_stream_prequeue_process(struct sock *sk);
void nty_stream_set_state(struct sock *sk, int state);
void nty_stream_done(struct sock *sk);
void nty_stream_destroy(struct sock *sk);
void nty_stream_reset(struct sock *sk);
void nty_stream_consume(struct sock *sk, struct sk_buff *skb);
u16 nty_select_window(struct sock *sk);
u32 nty_window_now(const struct sock *sk, int *room);
int nty_stream_mss(struct net *net, int ifindex);
void nty_stream_push(struct sock *sk);
int nty_stream_xmit(struct sock *sk, struct sk_buff *skb);
void nty_stream_retransmit_head(struct sock *sk);
void nty_stream_send_ack(struct sock *sk);
void nty_stream_send_flags(struct sock *sk, u32 seq, u8 flags);
void nty_stream_send_fin(struct sock *sk);
void nty_stream_reply_rst(struct net *net, struct sk_buff *skb);
int nty_send_ctl(struct net *net, int ifindex, const u8 *daddr, __be16 sport,
		 __be16 dport, u32 seq, u32 ack, u8 flags, u16 window);
void nty_stream_timer(struct timer_list *t);
void nty_stream_delack_timer(struct timer_list *t);
void nty_stream_ack_snd_check(struct sock *sk, bool now, bool more);

/* The longest an ACK waits for a second segment or a reply (TCP_DELACK_MIN). */
#define NTY_DELACK_MIN	(HZ / 25)
void nty_stream_arm_timer(struct sock *sk, unsigned long delay);
void nty_stream_write_space(struct sock *sk);
void nty_listen_rcv(struct sock *sk, struct sk_buff *skb);
void nty_listen_timer(struct sock *sk);
void nty_listen_stop(struct sock *sk);

/* af_nty.c: the family and the socket calls every type shares. */
int nty_af_init(void);
void nty_af_exit(void);
int nty_sock_release(struct socket *sock);
int nty_sock_bind(struct socket *sock, struct sockaddr *uaddr, int len);
int nty_sock_getname(struct socket *sock, struct sockaddr *uaddr, int peer);
int nty_sock_setsockopt(struct socket *sock, int level, int optname,
			sockptr_t optval, unsigned int optlen);
int nty_sock_getsockopt(struct socket *sock, int level, int optname,
			char __user *optval, int __user *optlen);
int nty_check_addr(const struct sockaddr *uaddr, int len);
void nty_sock_setup(struct sock *sk, struct nty_net *nn);
int nty_sock_backlog(struct sock *sk, struct sk_buff *skb)
	__releases(&sk->sk_lock.slock);
bool nty_sock_filter(struct sock *sk, struct sk_buff *skb);
void nty_sklist_add(struct sock *sk);
void nty_sklist_del(struct sock *sk);

/* protocol.c: from the backlog poll to the socket. */
void nty_protocol_rcv(struct sk_buff *skb);

/* netns.c, proc.c, sysctl.c, debugfs.c */
int nty_netns_init(void);
void nty_netns_exit(void);
int nty_proc_init_net(struct net *net);
void nty_proc_exit_net(struct net *net);
int nty_sysctl_init_net(struct net *net);
void nty_sysctl_exit_net(struct net *net);
int nty_debugfs_init(void);
void nty_debugfs_exit(void);

/**
 * struct nty_debugfs_table - a debugfs file that shows a table and is
 *	reset by any write to it
 * @show: prints the table
 * @reset: zeroes it
 */
struct nty_debugfs_table {
	int (*show)(struct seq_file *seq, void *v);
	void (*reset)(void);
};

void nty_debugfs_create_table(const char *name, struct dentry *dir,
			      const struct nty_debugfs_table *table);

#endif /* _NTY_H */

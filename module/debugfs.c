// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/nty: the live internals a debugger wants, root only.
 * "backlog" shows, for each CPU, the input queue's depth and whether its
 * NAPI poll is scheduled at this instant (the counters are in
 * /proc/net/nty/softnet).
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "nty.h"

static struct dentry *nty_debugfs_dir;

static int nty_backlog_show(struct seq_file *seq, void *v)
{
	struct nty_softnet_stat st;
	int cpu;

	seq_puts(seq, "cpu qlen napi_scheduled\n");
	for_each_online_cpu(cpu) {
		nty_softnet_stat(cpu, &st);
		seq_printf(seq, "%d %u %d\n", cpu, st.qlen, st.napi_scheduled);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(nty_backlog);

/**
 * nty_debugfs_init - create /sys/kernel/debug/nty
 *
 * debugfs failures are not fatal, by the kernel's convention.
 *
 * Return: 0.
 */
int nty_debugfs_init(void)
{
	nty_debugfs_dir = debugfs_create_dir("nty", NULL);
	debugfs_create_file("backlog", 0400, nty_debugfs_dir, NULL,
			    &nty_backlog_fops);
	return 0;
}

/**
 * nty_debugfs_exit - remove /sys/kernel/debug/nty
 */
void nty_debugfs_exit(void)
{
	debugfs_remove_recursive(nty_debugfs_dir);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/nty: the live internals a debugger wants, root only.
 * "drops" counts every drop by stage and kind, with the kernel drop reason
 * it was freed with (write anything to reset); fail_* are fault-injection
 * points (fault.c).  "backlog" shows, for each CPU, the input queue's depth and whether its
 * NAPI poll is scheduled at this instant (the counters are in
 * /proc/net/nty/softnet).
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "nty.h"
#include "observe.h"
#include "nic.h"

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

static int nty_table_open(struct inode *inode, struct file *file)
{
	const struct nty_debugfs_table *table = inode->i_private;

	return single_open(file, table->show, NULL);
}

static ssize_t nty_table_write(struct file *file, const char __user *buf,
			       size_t len, loff_t *ppos)
{
	const struct nty_debugfs_table *table = file_inode(file)->i_private;

	table->reset();
	return len;
}

static const struct file_operations nty_table_fops = {
	.owner		= THIS_MODULE,
	.open		= nty_table_open,
	.read		= seq_read,
	.write		= nty_table_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

/**
 * nty_debugfs_create_table - a root-only file that shows @table and resets
 *	it on any write
 * @name: the file's name
 * @dir: its directory
 * @table: what to show and how to reset it
 */
void nty_debugfs_create_table(const char *name, struct dentry *dir,
			      const struct nty_debugfs_table *table)
{
	debugfs_create_file(name, 0600, dir, (void *)table, &nty_table_fops);
}

static const struct nty_debugfs_table nty_drops_table = {
	.show	= nty_drops_show,
	.reset	= nty_drops_reset,
};

/**
 * nty_debugfs_init - create /sys/kernel/debug/nty
 *
 * debugfs failures are not fatal, by the kernel's convention; the probe
 * the NIC times need is.
 *
 * Return: 0 or a negative errno.
 */
int nty_debugfs_init(void)
{
	int ret;

	ret = nty_timing_init();
	if (ret)
		return ret;
	nty_debugfs_dir = debugfs_create_dir("nty", NULL);
	debugfs_create_file("backlog", 0400, nty_debugfs_dir, NULL,
			    &nty_backlog_fops);
	nty_debugfs_create_table("drops", nty_debugfs_dir, &nty_drops_table);
	nty_fault_init(nty_debugfs_dir);
	nty_nic_debugfs(nty_debugfs_dir);
	nty_timing_debugfs(nty_debugfs_dir);
	nty_journey_debugfs(nty_debugfs_dir);
	return 0;
}

/**
 * nty_debugfs_exit - remove /sys/kernel/debug/nty
 */
void nty_debugfs_exit(void)
{
	debugfs_remove_recursive(nty_debugfs_dir);
	nty_timing_exit();
}

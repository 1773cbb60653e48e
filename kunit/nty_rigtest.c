// SPDX-License-Identifier: GPL-2.0
/*
 * Not a test of NTY: a module that WARNs on load, so that `make check`
 * can show, in a throwaway VM run, that a kernel report fails the run.
 */
#include <linux/module.h>
#include <linux/bug.h>

static int __init nty_rigtest_init(void)
{
	WARN(1, "nty_rigtest: deliberate warning, the test rig must catch it\n");
	return 0;
}

static void __exit nty_rigtest_exit(void)
{
}

module_init(nty_rigtest_init);
module_exit(nty_rigtest_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("NTY test rig self-test: WARNs on load");

// SPDX-License-Identifier: GPL-2.0
/* The one place NTY's tracepoints are instantiated (see trace.h). */
#define CREATE_TRACE_POINTS
#include "trace.h"

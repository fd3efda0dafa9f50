/* SPDX-License-Identifier: Apache-2.0 */
/* Scope-bound cleanup, as in crun: error paths stay short and leak nothing. */
#ifndef MVM_UTIL_CLEANUP_H
#define MVM_UTIL_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void mvm_cleanup_freep(void *p)
{
	free(*(void **)p);
}

static inline void mvm_cleanup_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void mvm_cleanup_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define cleanup_free __attribute__((cleanup(mvm_cleanup_freep)))
#define cleanup_close __attribute__((cleanup(mvm_cleanup_closep)))
#define cleanup_fclose __attribute__((cleanup(mvm_cleanup_fclosep)))

/* Hands ownership out of a cleanup variable. */
#define steal_pointer(pp) ({ __typeof__(*(pp)) _p = *(pp); *(pp) = NULL; _p; })
#define steal_fd(fdp) ({ int _fd = *(fdp); *(fdp) = -1; _fd; })

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* The program's environment: exactly the configured env, plus PATH and
 * HOME defaults when the user did not set them. */
#ifndef MVM_INIT_ENV_H
#define MVM_INIT_ENV_H

#include <stddef.h>

#define INIT_DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define INIT_DEFAULT_HOME "HOME=/root"

/* A NULL-terminated envp for execve(): env[0..n_env) in order (strings
 * borrowed), then the defaults whose key is absent. free() the array
 * only. NULL when out of memory. */
char **init_env_build(char *const *env, size_t n_env);

#endif

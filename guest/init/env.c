/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/init/env.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* "KEY=..." in env has the key of `def` ("KEY=default"). */
static bool has_key(char *const *env, size_t n_env, const char *def)
{
	size_t klen = (size_t)(strchr(def, '=') - def) + 1; /* with the '=' */
	for (size_t i = 0; i < n_env; i++)
		if (strncmp(env[i], def, klen) == 0)
			return true;
	return false;
}

char **init_env_build(char *const *env, size_t n_env)
{
	static const char *const defaults[] = {INIT_DEFAULT_PATH, INIT_DEFAULT_HOME};
	size_t n_defaults = sizeof(defaults) / sizeof(defaults[0]);
	if (n_env > (size_t)-1 / sizeof(char *) - n_defaults - 1)
		return NULL;
	char **envp = calloc(n_env + n_defaults + 1, sizeof(*envp));
	if (!envp)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < n_env; i++)
		envp[n++] = env[i];
	for (size_t i = 0; i < n_defaults; i++)
		if (!has_key(env, n_env, defaults[i]))
			envp[n++] = (char *)defaults[i]; /* execve does not write to it */
	envp[n] = NULL;
	return envp;
}

/* SPDX-License-Identifier: Apache-2.0 */
#include "config/tmpfs.h"

#include "guest/protocol.h"
#include "util/error.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	uint32_t flag; /* 0: the default, dropped */
} words[] = {
    {"nosuid", MVM_TMPFS_NOSUID},
    {"nodev", MVM_TMPFS_NODEV},
    {"noexec", MVM_TMPFS_NOEXEC},
    {"ro", MVM_TMPFS_RDONLY},
    {"noatime", MVM_TMPFS_NOATIME},
    {"strictatime", MVM_TMPFS_STRICTATIME},
    {"relatime", MVM_TMPFS_RELATIME},
    {"nodiratime", MVM_TMPFS_NODIRATIME},
    {"rw", 0},
    {"suid", 0},
    {"dev", 0},
    {"exec", 0},
    {"atime", 0},
    {"diratime", 0},
};

/* digits (octal ones only when octal), then at most one of suffixes. */
static bool number(const char *s, bool octal, const char *suffixes)
{
	size_t n = 0;
	while (s[n] >= '0' && s[n] <= (octal ? '7' : '9'))
		n++;
	if (n == 0 || n > 12)
		return false;
	return s[n] == '\0' || (s[n + 1] == '\0' && strchr(suffixes, s[n]) != NULL);
}

static bool value_ok(const char *opt)
{
	const char *eq = strchr(opt, '=');
	size_t k = (size_t)(eq - opt);
	const char *v = eq + 1;
	if (k == 4 && strncmp(opt, "mode", 4) == 0)
		return strlen(v) <= 4 && number(v, true, "");
	if (k == 4 && strncmp(opt, "size", 4) == 0)
		return number(v, false, "kmg%");
	if (k == 9 && strncmp(opt, "nr_inodes", 9) == 0)
		return number(v, false, "kmg");
	if ((k == 3 && strncmp(opt, "uid", 3) == 0) || (k == 3 && strncmp(opt, "gid", 3) == 0))
		return number(v, false, "") && strtoull(v, NULL, 10) <= 4294967294ull;
	return false;
}

int config_tmpfs_options(const char *opts, uint32_t *flags, char **data, mvm_error **err)
{
	*flags = 0;
	*data = calloc(1, strlen(opts) + 1);
	char *copy = strdup(opts);
	if (*data == NULL || copy == NULL) {
		free(*data);
		free(copy);
		*data = NULL;
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "tmpfs options `%s`", opts);
	}
	int rc = 0;
	for (char *save = NULL, *o = strtok_r(copy, ",", &save); o && rc == 0;
	     o = strtok_r(NULL, ",", &save)) {
		if (strchr(o, '=')) {
			if (!value_ok(o)) {
				rc = mvm_err(
				    err, MVM_ERR_INVALID, 0,
				    "tmpfs option `%s`: mode=OCTAL, size=N[k|m|g|%%], "
				    "nr_inodes=N[k|m|g], uid=N and gid=N are the ones with values",
				    o);
				break;
			}
			if (**data)
				strcat(*data, ",");
			strcat(*data, o);
			continue;
		}
		size_t i = 0;
		while (i < sizeof(words) / sizeof(words[0]) && strcmp(words[i].name, o) != 0)
			i++;
		if (i == sizeof(words) / sizeof(words[0]))
			rc = mvm_err(err, MVM_ERR_INVALID, 0,
				     "tmpfs option `%s` is not one mvm mounts with (nosuid, nodev, "
				     "noexec, ro, noatime, strictatime, relatime, nodiratime)",
				     o);
		else
			*flags |= words[i].flag;
	}
	free(copy);
	if (rc < 0) {
		free(*data);
		*data = NULL;
	}
	return rc;
}

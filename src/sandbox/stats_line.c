/* SPDX-License-Identifier: Apache-2.0 */
/* The counters of mvm_vm_stats by name (mvm_vm_stats_field()), and the
 * "stats" reply of a detached VM's control socket (sandbox/detach.c):
 * "ok key=value ...\n", every counter under its name. */
#include "sandbox/detach.h"

#include "util/error.h"

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STAT_FIELD(f)                                                                              \
	{                                                                                          \
#f, offsetof(mvm_vm_stats, f)                                                      \
	}
static const struct {
	const char *name;
	size_t off;
} stat_fields[] = {
    STAT_FIELD(uptime_ns),	STAT_FIELD(vcpu_cpu_ns),	STAT_FIELD(process_cpu_ns),
    STAT_FIELD(ram_bytes),	STAT_FIELD(ram_resident_bytes), STAT_FIELD(process_rss_bytes),
    STAT_FIELD(net_rx_frames),	STAT_FIELD(net_rx_bytes),	STAT_FIELD(net_tx_frames),
    STAT_FIELD(net_tx_bytes),	STAT_FIELD(net_dropped),	STAT_FIELD(fs_requests),
    STAT_FIELD(fs_read_bytes),	STAT_FIELD(fs_write_bytes),	STAT_FIELD(vsock_connections),
    STAT_FIELD(vsock_rx_bytes), STAT_FIELD(vsock_tx_bytes),
};
#define N_FIELDS (sizeof(stat_fields) / sizeof(stat_fields[0]))

static uint64_t *field(mvm_vm_stats *s, size_t i)
{
	return (uint64_t *)((char *)s + stat_fields[i].off);
}

const char *mvm_vm_stats_field(const mvm_vm_stats *s, size_t i, uint64_t *value)
{
	if (i >= N_FIELDS)
		return NULL;
	*value = *field((mvm_vm_stats *)s, i);
	return stat_fields[i].name;
}

size_t detach_format_stats(const mvm_vm_stats *s, char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "ok");
	for (size_t i = 0; i < N_FIELDS && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, " %s=%" PRIu64,
					 stat_fields[i].name, *field((mvm_vm_stats *)s, i));
	if (used + 1 >= len)
		return 0;
	buf[used++] = '\n';
	buf[used] = '\0';
	return used;
}

int detach_parse_stats(const char *line, mvm_vm_stats *out, mvm_error **err)
{
	*out = (mvm_vm_stats){0};
	if (strncmp(line, "ok", 2) != 0 || (line[2] != ' ' && line[2] != '\n'))
		return mvm_err(err, MVM_ERR_IO, 0, "the VM's process answered `%.80s`", line);
	bool seen[N_FIELDS] = {false};
	const char *p = line + 2;
	while (*p == ' ') {
		p++;
		const char *eq = strchr(p, '=');
		const char *end = p + strcspn(p, " \n");
		if (eq == NULL || eq > end || eq == p)
			return mvm_err(err, MVM_ERR_IO, 0,
				       "the VM's process sent `%.*s`, not key=value",
				       (int)(end - p > 80 ? 80 : end - p), p);
		char *num_end;
		errno = 0;
		if (eq[1] < '0' || eq[1] > '9')
			return mvm_err(err, MVM_ERR_IO, 0, "`%.*s` is not a count",
				       (int)(end - p > 80 ? 80 : end - p), p);
		unsigned long long v = strtoull(eq + 1, &num_end, 10);
		if (errno || num_end != end)
			return mvm_err(err, MVM_ERR_IO, 0, "`%.*s` is not a count",
				       (int)(end - p > 80 ? 80 : end - p), p);
		/* Names we do not know are a newer mvm's: skipped. */
		for (size_t i = 0; i < N_FIELDS; i++) {
			if (strlen(stat_fields[i].name) == (size_t)(eq - p) &&
			    memcmp(stat_fields[i].name, p, (size_t)(eq - p)) == 0) {
				if (seen[i])
					return mvm_err(err, MVM_ERR_IO, 0,
						       "the VM's process sent %s twice",
						       stat_fields[i].name);
				seen[i] = true;
				*field(out, i) = v;
			}
		}
		p = end;
	}
	if (*p != '\n' || p[1] != '\0')
		return mvm_err(err, MVM_ERR_IO, 0,
			       "the VM's process sent a reply that does not end its line");
	return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
#include "vmm/initramfs.h"

#include "guest/protocol.h"
#include "util/error.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NEWC_MAGIC "070701"
#define NEWC_HEADER_LEN 110 /* magic + 13 fields of 8 hex digits */
#define NEWC_TRAILER "TRAILER!!!"

struct cpio_entry {
	const char *name; /* without the leading '/', as gen_init_cpio writes */
	uint32_t mode;    /* type and permission bits */
	unsigned rdev_major, rdev_minor;
	const void *data;
	size_t len;
};

static size_t pad4(size_t n)
{
	return (4 - (n & 3)) & 3;
}

/* Bytes one entry takes; entries are small and at most 4 GiB each, so
 * this cannot overflow size_t on a 64-bit host. */
static size_t entry_size(const struct cpio_entry *e)
{
	size_t head = NEWC_HEADER_LEN + strlen(e->name) + 1;
	return head + pad4(head) + e->len + pad4(e->len);
}

static uint8_t *write_entry(uint8_t *p, const struct cpio_entry *e, uint32_t ino)
{
	size_t namesize = strlen(e->name) + 1;
	uint32_t nlink = S_ISDIR(e->mode) ? 2 : 1;
	/* ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor
	 * rdevminor namesize check; snprintf writes a NUL that the name
	 * then overwrites. */
	int n = snprintf((char *)p, NEWC_HEADER_LEN + 1,
			 NEWC_MAGIC "%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ino, e->mode, 0u, 0u,
			 nlink, 0u, (uint32_t)e->len, 0u, 0u, e->rdev_major, e->rdev_minor, (uint32_t)namesize, 0u);
	(void)n; /* always NEWC_HEADER_LEN: every field is exactly 8 digits */
	p += NEWC_HEADER_LEN;
	memcpy(p, e->name, namesize);
	p += namesize;
	size_t pad = pad4(NEWC_HEADER_LEN + namesize);
	memset(p, 0, pad);
	p += pad;
	if (e->len)
		memcpy(p, e->data, e->len);
	p += e->len;
	memset(p, 0, pad4(e->len));
	return p + pad4(e->len);
}

int initramfs_build(const void *init_bin, size_t init_len, const void *cfg_blob, size_t cfg_len, void **out,
		    size_t *out_len, mvm_error **err)
{
	if (!init_bin || init_len == 0)
		return mvm_err(err, MVM_ERR_INVALID, 0, "initramfs: the init binary is empty");
	if (init_len > UINT32_MAX || cfg_len > UINT32_MAX)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "initramfs: file of %zu bytes exceeds the 4 GiB limit of cpio newc",
			       init_len > cfg_len ? init_len : cfg_len);
	if (!cfg_blob && cfg_len)
		return mvm_err(err, MVM_ERR_INVALID, 0, "initramfs: config blob is NULL");

	const struct cpio_entry entries[] = {
		{"dev", S_IFDIR | 0755, 0, 0, NULL, 0},
		{"dev/console", S_IFCHR | 0600, 5, 1, NULL, 0},
		{"proc", S_IFDIR | 0755, 0, 0, NULL, 0},
		{"sys", S_IFDIR | 0755, 0, 0, NULL, 0},
		{"newroot", S_IFDIR | 0755, 0, 0, NULL, 0},
		{"mvm", S_IFDIR | 0755, 0, 0, NULL, 0},
		{"init", S_IFREG | 0755, 0, 0, init_bin, init_len},
		{MVM_CFG_PATH + 1, S_IFREG | 0400, 0, 0, cfg_blob, cfg_len},
		{NEWC_TRAILER, 0, 0, 0, NULL, 0},
	};
	size_t n = sizeof(entries) / sizeof(entries[0]);
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += entry_size(&entries[i]);

	uint8_t *buf = malloc(total);
	if (!buf)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "initramfs: %zu bytes", total);
	uint8_t *p = buf;
	for (size_t i = 0; i < n; i++) {
		/* The trailer has inode 0, as the kernel and GNU cpio write it. */
		uint32_t ino = i + 1 < n ? (uint32_t)(i + 1) : 0;
		p = write_entry(p, &entries[i], ino);
	}
	*out = buf;
	*out_len = (size_t)(p - buf);
	return 0;
}

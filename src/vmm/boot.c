/* SPDX-License-Identifier: Apache-2.0 */
/* Puts the kernel, the initramfs (mvm-init + config blob) and the boot
 * data into guest RAM. Program settings travel in the initramfs, never on
 * the kernel command line, so they have no quoting or length limits. */
#include "vmm/boot.h"
#include "arch/arch.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "vmm/devices.h"
#include "vmm/guest_config.h"
#include "vmm/init_embed.h"
#include "vmm/initramfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define MAX_IRQS 32

/* reboot=t: a guest reboot or panic becomes a triple fault, which KVM
 * reports as a shutdown exit: the VM ends instead of looping.
 * console=ttyS0: keep kernel messages off hvc0, the program's stdout.
 * pci=off, nomodule, 8250.nr_uarts=1, no_timer_check: skip probing that
 * costs VM exits and finds nothing. */
static const char base_cmdline[] = "console=ttyS0 reboot=t panic=-1 pci=off nomodule "
				   "8250.nr_uarts=1 rdinit=/init no_timer_check tsc=reliable";

int boot_cmdline(const struct vmm *v, char *buf, size_t len, mvm_error **err)
{
	bool debug = v->cfg->log.level >= MVM_LOG_DEBUG;
	int n = snprintf(buf, len, "%s %s", base_cmdline, debug ? "loglevel=7 printk.time=1" : "quiet loglevel=1");
	if (n < 0 || (size_t)n >= len)
		return mvm_err(err, MVM_ERR_INVALID, 0, "kernel command line too long");
	return devices_cmdline(v, buf, len, err);
}

static int load_kernel_file(struct vmm *v, struct arch_kernel *k, mvm_error **err)
{
	cleanup_free char *path = NULL;
	if (kernel_locate(v->cfg, &path, err) < 0)
		return -1;
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mvm_err_sys(err, "open kernel `%s`", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return mvm_err_sys(err, "stat kernel `%s`", path);
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		return mvm_err(err, MVM_ERR_INVALID, 0, "kernel `%s` is not a non-empty file", path);
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return mvm_err_sys(err, "map kernel `%s`", path);
	int r = arch_load_kernel(&v->mem, map, (size_t)st.st_size, k, err);
	munmap(map, (size_t)st.st_size);
	if (r < 0)
		return mvm_err_wrap(err, "kernel `%s`", path);
	log_debug(v->log, "kernel %s: entry 0x%llx, end 0x%llx", path,
		  (unsigned long long)k->entry, (unsigned long long)k->end_gpa);
	return 0;
}

int boot_initramfs(const struct mvm_config *cfg, void **out, size_t *len, mvm_error **err)
{
	cleanup_free struct guest_mount *mounts = NULL;
	size_t n = 0;
	if (guest_mounts_from_config(cfg, &mounts, &n, err) < 0)
		return -1;
	cleanup_free void *blob = NULL;
	size_t blob_len = 0;
	if (guest_config_build(cfg, mounts, n, &blob, &blob_len, err) < 0)
		return -1;
	size_t init_len = 0;
	const void *init = mvm_init_binary(&init_len);
	return initramfs_build(init, init_len, blob, blob_len, out, len, err);
}

static int load_initramfs(struct vmm *v, const struct arch_kernel *k, uint64_t *gpa,
			  size_t *len, mvm_error **err)
{
	cleanup_free void *rd = NULL;
	size_t rd_len = 0;
	if (boot_initramfs(v->cfg, &rd, &rd_len, err) < 0 ||
	    arch_place_initrd(&v->mem, k, rd_len, gpa, err) < 0)
		return -1;
	void *dst = gpa_slice(&v->mem, *gpa, rd_len);
	if (dst == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0, "initramfs does not fit in guest RAM");
	memcpy(dst, rd, rd_len);
	*len = rd_len;
	log_debug(v->log, "initramfs: %zu bytes at 0x%llx", rd_len, (unsigned long long)*gpa);
	return 0;
}

int boot_load(struct vmm *v, uint64_t *entry, mvm_error **err)
{
	struct arch_kernel k;
	uint64_t rd_gpa = 0;
	size_t rd_len = 0;
	char cmdline[2048];
	unsigned irqs[MAX_IRQS];
	if (load_kernel_file(v, &k, err) < 0 || load_initramfs(v, &k, &rd_gpa, &rd_len, err) < 0 ||
	    boot_cmdline(v, cmdline, sizeof(cmdline), err) < 0)
		return -1;
	log_debug(v->log, "kernel command line: %s", cmdline);
	struct arch_boot b = {
		.cmdline = cmdline,
		.initrd_gpa = rd_gpa,
		.initrd_len = rd_len,
		.num_vcpus = v->n_vcpus,
		.irqs = irqs,
		.n_irqs = devices_irqs(v, irqs, MAX_IRQS),
	};
	if (arch_setup_boot(&v->mem, &b, err) < 0)
		return -1;
	*entry = k.entry;
	return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Numbers for `make bench` (VM exits that reached userspace, and the
 * VMM's resident memory not counting guest RAM, which is the guest's) and
 * for `mvm stats` (mvm_vm_get_stats()). */
#include "vmm/devices.h"
#include "vmm/vmm.h"

#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

static uint64_t resident_bytes(const struct guest_mem_region *r)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t pages = (r->size + (uint64_t)page - 1) / (uint64_t)page;
	unsigned char *vec = malloc(pages);
	if (vec == NULL || mincore(r->host, r->size, vec) < 0) {
		free(vec);
		return 0;
	}
	uint64_t n = 0;
	for (size_t i = 0; i < pages; i++)
		n += vec[i] & 1;
	free(vec);
	return n * (uint64_t)page;
}

static uint64_t process_rss(void)
{
	FILE *f = fopen("/proc/self/statm", "re");
	unsigned long size = 0, rss = 0;
	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* The vCPU's cumulative "exits" counter from KVM's binary stats (Linux
 * 5.14+): every exit, including those KVM handles in the kernel
 * (ioeventfd, APIC, HLT), which userspace counters cannot see. */
static uint64_t kvm_vcpu_exits(const struct vmm *v, unsigned index, int vcpu_fd)
{
	int fd = ioctl(vcpu_fd, KVM_GET_STATS_FD, NULL);
	if (fd < 0)
		return 0;
	uint64_t result = 0;
	struct kvm_stats_header h;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || h.num_desc > 4096 || h.name_size == 0 ||
	    h.name_size > 4096)
		goto out;
	size_t desc_size = sizeof(struct kvm_stats_desc) + h.name_size;
	char *descs = malloc(desc_size * h.num_desc);
	if (descs == NULL)
		goto out;
	if (pread(fd, descs, desc_size * h.num_desc, h.desc_offset) ==
	    (ssize_t)(desc_size * h.num_desc)) {
		for (uint32_t i = 0; i < h.num_desc; i++) {
			struct kvm_stats_desc *d = (struct kvm_stats_desc *)(descs + i * desc_size);
			d->name[h.name_size - 1] = '\0';
			uint64_t val = 0;
			if (d->size != 1 ||
			    pread(fd, &val, sizeof(val), h.data_offset + d->offset) != (ssize_t)sizeof(val))
				continue;
			if (strcmp(d->name, "exits") == 0)
				result = val;
			/* The breakdown tells where a boot's exits go: what to cut. */
			if (val && (d->flags & KVM_STATS_TYPE_MASK) == KVM_STATS_TYPE_CUMULATIVE)
				log_debug(v->log, "stats: vcpu%u %s=%llu", index, d->name,
					  (unsigned long long)val);
		}
	}
	free(descs);
out:
	close(fd);
	return result;
}

void vmm_log_stats(struct vmm *v)
{
	if (!mvm_log_enabled(v->log, MVM_LOG_INFO))
		return;
	uint64_t io = 0, mmio = 0, all = 0;
	for (unsigned i = 0; i < v->n_vcpus; i++) {
		io += v->vcpus[i].exits_io;
		mmio += v->vcpus[i].exits_mmio;
		if (v->vcpus[i].fd >= 0)
			all += kvm_vcpu_exits(v, i, v->vcpus[i].fd);
	}
	uint64_t guest = 0;
	for (unsigned i = 0; i < v->mem.n_regions; i++)
		if (v->mem.regions[i].host)
			guest += resident_bytes(&v->mem.regions[i]);
	uint64_t rss = process_rss();
	log_info(v->log,
		 "stats: kvm_exits=%llu userspace_exits=%llu (io=%llu mmio=%llu) vmm_rss_kib=%llu "
		 "guest_rss_kib=%llu",
		 (unsigned long long)all, (unsigned long long)(io + mmio), (unsigned long long)io,
		 (unsigned long long)mmio,
		 (unsigned long long)((rss > guest ? rss - guest : 0) >> 10),
		 (unsigned long long)(guest >> 10));
	devices_log_net_stats(v);
}

static uint64_t ns_of(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec;
}

static uint64_t clock_ns(clockid_t c)
{
	struct timespec t;
	return clock_gettime(c, &t) == 0 ? ns_of(&t) : 0;
}

void vmm_get_stats(struct vmm *v, mvm_vm_stats *out)
{
	*out = (mvm_vm_stats){0};
	uint64_t now = clock_ns(CLOCK_MONOTONIC), t0 = ns_of(&v->started);
	out->uptime_ns = now > t0 ? now - t0 : 0;
	for (unsigned i = 0; i < v->n_vcpus; i++) {
		clockid_t c;
		/* A vCPU that has left but is not joined yet still has a clock. */
		if (v->vcpus[i].started && pthread_getcpuclockid(v->vcpus[i].thread, &c) == 0)
			out->vcpu_cpu_ns += clock_ns(c);
	}
	out->process_cpu_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (unsigned i = 0; i < v->mem.n_regions; i++) {
		out->ram_bytes += v->mem.regions[i].size;
		if (v->mem.regions[i].host)
			out->ram_resident_bytes += resident_bytes(&v->mem.regions[i]);
	}
	out->process_rss_bytes = process_rss();
	devices_get_stats(v, out);
}

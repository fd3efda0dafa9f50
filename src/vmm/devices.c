/* SPDX-License-Identifier: Apache-2.0 */
/* The device set of a VM, in MMIO slot order:
 *   0 console  hvc0: program stdin/stdout
 *   1 console  hvc1: program stderr and mvm-init's messages
 *   2 console  hvc2: control channel (signals, stdin EOF)
 *   3 rng
 *   4 fs       the root, tag MVM_ROOT_TAG
 *   5.. fs     one per mapped dir, tags from guest_mount_tag()
 *   vsock      with a vsock socket only (docs/vsock.md)
 *   last net   virtio-net on a libslirp backend (user-mode networking)
 * The order fixes the hvc numbering, which guest/protocol.h promises. */
#include "vmm/devices.h"
#include "vmm/run_layer.h"
#include "guest/protocol.h"
#include "arch/arch.h"
#include "arch/x86_64/layout.h"
#include "config/ipv4.h"
#include "fuse/fuse_server.h"
#include "util/error.h"
#include "virtio/console.h"
#include "virtio/fs.h"
#include "net/port_learn.h"
#include "net/slirp_backend.h"
#include "virtio/mmio.h"
#include "virtio/net.h"
#include "virtio/rng.h"
#include "virtio/vsock.h"
#include "virtio/vsock_listen.h"
#include "vmm/guest_config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Worker threads per virtio-fs device: the FUSE server serves requests in
 * parallel, and the guest keeps several in flight during a boot. */
#define FS_WORKERS 2

/* Memory slots of DAX windows: after guest RAM's (GUEST_MEM_MAX_REGIONS). */
#define DAX_SLOT_BASE 8u

/* One share's DAX window. */
struct dax_window {
	uint8_t *host;
	uint64_t gpa, size;
};

struct devices {
	struct virtio_host host;
	struct virtio_mmio *mmio[LAYOUT_VIRTIO_MAX_DEVICES];
	unsigned n;
	struct virtio_mmio *control;
	struct fuse_server *fs[LAYOUT_VIRTIO_MAX_DEVICES];
	unsigned n_fs;
	struct dax_window dax[LAYOUT_VIRTIO_MAX_DEVICES];
	unsigned n_dax;
	bool ready; /* mvm-init said MVM_CTRL_READY on hvc2 */
	struct port_learn ports;
	int boot_timer; /* timerfd: mvm-init must say it runs before this fires */
	int dax_timer;	/* timerfd: the DAX windows' periodic repair */
	struct slirp_backend *slirp;
	struct virtio_mmio *net;
	struct virtio_mmio *vsock;
	struct vsock_listener *vsock_listener;
	struct run_layer run; /* an image run's directories */
};

static int add_device(struct devices *d, const struct virtio_dev_ops *ops, void *priv,
		      mvm_error **err)
{
	if (priv == NULL)
		return -1; /* the constructor already reported why */
	if (d->n >= LAYOUT_VIRTIO_MAX_DEVICES) {
		ops->free(priv);
		return mvm_err(err, MVM_ERR_INVALID, 0, "too many devices: at most %d",
			       LAYOUT_VIRTIO_MAX_DEVICES);
	}
	uint64_t base = LAYOUT_VIRTIO_MMIO_BASE + d->n * LAYOUT_VIRTIO_MMIO_SIZE;
	uint32_t gsi = LAYOUT_VIRTIO_IRQ_BASE + d->n;
	struct virtio_mmio *m = virtio_mmio_new(ops, priv, &d->host, base, gsi, err);
	if (m == NULL)
		return mvm_err_wrap(err, "virtio device %s", ops->name);
	d->mmio[d->n++] = m;
	return 0;
}

/* hvc0's input ended: tell mvm-init how many bytes to pass on before it
 * closes the program's stdin. */
static void stdin_eof(void *ctx, uint64_t delivered)
{
	struct vmm *v = ctx;
	mvm_error *e = NULL;
	if (virtio_console_send_stdin_eof(virtio_mmio_dev(v->devices->control), delivered, &e) < 0)
		log_warn(v->log, "cannot signal stdin EOF to the guest: %s", mvm_error_get_message(e));
	mvm_error_free(e);
}

static void learned_port(void *ctx, bool add, bool udp, uint16_t port)
{
	slirp_backend_learned_port(ctx, add, udp, port);
}

/* hvc2's output, on the event loop thread. mvm-init says MVM_CTRL_READY
 * once it has attached hvc0 and hvc2: input may flow. Past that, only
 * port reports count (with publish_listening); anything else the guest
 * writes there is ignored, as cheaply as possible: a guest that writes
 * endlessly costs its own event loop a memchr (or a byte-wise scan) per
 * 512 bytes. (On 7dfb5e5 this went through a pipe that the same loop
 * thread read: a flood filled it and stalled the loop for 10 s at a
 * time.) */
static void control_output(void *opaque, const uint8_t *buf, size_t len)
{
	struct vmm *v = opaque;
	struct devices *d = v->devices;
	if (v->cfg->publish_listening && d->slirp)
		port_learn_feed(&d->ports, buf, len, learned_port, d->slirp);
	if (d->ready || memchr(buf, MVM_CTRL_READY, len) == NULL)
		return;
	d->ready = true;
	event_loop_del(v->loop, d->boot_timer);
	mvm_error *e = NULL;
	if (virtio_console_release_input(virtio_mmio_dev(d->mmio[0]), &e) < 0 ||
	    virtio_console_release_input(virtio_mmio_dev(d->control), &e) < 0)
		log_warn(v->log, "console input: %s", mvm_error_get_message(e));
	mvm_error_free(e);
	log_debug(v->log, "guest consoles ready: input released");
}

/* A kernel that hangs or dies before init runs would otherwise leave the
 * VM running forever with no output: end it with a clear error. */
static void boot_timeout(void *opaque, uint32_t events)
{
	struct vmm *v = opaque;
	uint64_t n;
	if (read(v->devices->boot_timer, &n, sizeof(n)) != (ssize_t)sizeof(n) || v->devices->ready)
		return;
	mvm_error *e = NULL;
	mvm_err(&e, MVM_ERR_GUEST, 0,
		"the guest did not start mvm-init within %d s (the kernel hung or crashed early; "
		"run with --log-level debug to see its messages)",
		DEVICES_BOOT_TIMEOUT_S);
	vmm_end(v, -1, &e);
}

static int add_console(struct devices *d, int in_fd, int out_fd, struct vmm *eof_vmm,
		       mvm_error **err)
{
	struct virtio_console_params p = {
		.in_fd = in_fd,
		.out_fd = out_fd,
		.on_input_eof = eof_vmm ? stdin_eof : NULL,
		.eof_ctx = eof_vmm,
		.hold_input = true,
		.sandbox = d->host.sandbox,
	};
	if (add_device(d, &virtio_console_ops, virtio_console_new(&p, err), err) < 0)
		return -1;
	/* Its output thread starts now, from the application's thread: not
	 * when the guest activates the device, on a vCPU thread whose
	 * seccomp list holds no clone. */
	return virtio_console_start_output(virtio_mmio_dev(d->mmio[d->n - 1]), err);
}

static int add_control_console(struct devices *d, struct vmm *v, mvm_error **err)
{
	struct virtio_console_params p = {
		.in_fd = -1,
		.out_fd = -1,
		.on_output = control_output,
		.output_ctx = v,
		.hold_input = true,
	};
	return add_device(d, &virtio_console_ops, virtio_console_new(&p, err), err);
}

static ssize_t fs_handle(void *ctx, const struct iovec *in, int n_in, const struct iovec *out,
			 int n_out)
{
	return fuse_server_handle(ctx, in, n_in, out, n_out);
}

/* The next share's DAX window, registered with KVM (docs/fuse.md, "The DAX
 * window"). */
static int add_dax_window(struct devices *d, struct vmm *v, struct dax_window **out,
			  mvm_error **err)
{
	uint64_t size = (uint64_t)v->cfg->dax_window_mib << 20;
	uint64_t gpa, align, end;
	arch_dax_window_span(&v->mem, &gpa, &align, &end);
	if (d->n_dax > 0) {
		const struct dax_window *last = &d->dax[d->n_dax - 1];
		gpa = (last->gpa + last->size + align - 1) & ~(align - 1);
	}
	if (gpa > end || size > end - gpa)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "the DAX windows of %u shares of %u MiB each do not fit below "
			       "guest address 0x%llx (use a smaller --dax-window)",
			       d->n_dax + 1, v->cfg->dax_window_mib, (unsigned long long)end);
	struct dax_window *w = &d->dax[d->n_dax];
	if (kvm_map_window(&v->kvm, DAX_SLOT_BASE + d->n_dax, gpa, size, &w->host, err) < 0)
		return -1;
	w->gpa = gpa;
	w->size = size;
	d->n_dax++;
	*out = w;
	return 0;
}

/* A guest page of a DAX window whose file shrank on the host cannot be
 * faulted in. KVM on x86 first tries such a fault asynchronously (with a
 * halt when the guest takes no async page faults), and the background
 * fault fails and is tried again forever: the guest task hangs and
 * KVM_RUN never returns, so the vCPU cannot ask for the repair itself.
 * Every DAX_REPAIR_PERIOD_MS the loop mends what the host shrank; the
 * stuck access then goes through. Each round costs one fstat() per mapped
 * chunk. */
#define DAX_REPAIR_PERIOD_MS 500

static void dax_repair_tick(void *opaque, uint32_t events)
{
	struct vmm *v = opaque;
	uint64_t n;
	if (read(v->devices->dax_timer, &n, sizeof(n)) == (ssize_t)sizeof(n))
		devices_dax_repair(v);
}

static int start_dax_repair(struct devices *d, struct vmm *v, mvm_error **err)
{
	d->dax_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->dax_timer < 0)
		return mvm_err_sys(err, "timerfd for the DAX windows");
	struct timespec period = {.tv_nsec = DAX_REPAIR_PERIOD_MS * 1000000L};
	struct itimerspec its = {.it_interval = period, .it_value = period};
	if (timerfd_settime(d->dax_timer, 0, &its, NULL) < 0)
		return mvm_err_sys(err, "arm the DAX window timer");
	return event_loop_add(v->loop, d->dax_timer, EPOLLIN, dax_repair_tick, v, err);
}

/* o: root_dir, share_mode and what else the share needs. */
static int add_fs_opts(struct devices *d, struct vmm *v, struct fuse_server_opts o,
		       const char *tag, mvm_error **err)
{
	const char *host_dir = o.root_dir;
	struct dax_window *w = NULL;
	/* The guest pays 1/64 of each window in RAM for its page structures,
	 * and a guest that cannot pay fails to mount the share. Windows go to
	 * the shares in order while they take at most an eighth of RAM: the
	 * root first. */
	uint64_t cost = ((uint64_t)v->cfg->dax_window_mib << 20) / 64;
	if (v->cfg->dax_window_mib > 0) {
		if ((d->n_dax + 1) * cost > v->mem.total / 8)
			log_debug(v->log,
				  "share `%s`: no DAX window (%u windows of %u MiB would need "
				  "more than an eighth of the guest's RAM)",
				  host_dir, d->n_dax + 1, v->cfg->dax_window_mib);
		else if (add_dax_window(d, v, &w, err) < 0)
			return mvm_err_wrap(err, "share `%s`", host_dir);
	}
	if (w) {
		o.dax_window = w->host;
		o.dax_window_size = w->size;
	}
	o.log = v->log;
	o.acting_set = v->cfg->has_jail_user;
	o.acting_uid = (uid_t)v->cfg->jail_uid;
	o.acting_gid = (gid_t)v->cfg->jail_gid;
	struct fuse_server *s = fuse_server_new(&o, err);
	if (s == NULL)
		return mvm_err_wrap(err, "share `%s`", host_dir);
	d->fs[d->n_fs++] = s;
	/* A virtual-ownership share belongs to the VMM's user: its workers
	 * need no capability at all. Read only while the workers start. */
	struct sandbox sb;
	const struct sandbox *sbp = v->sandbox;
	if (sbp != NULL && fuse_server_virtual_owner(s)) {
		sb = *sbp;
		sb.keep[SANDBOX_FS] = 0;
		sbp = &sb;
	}
	struct virtio_fs_params p = {
		.tag = tag,
		.num_request_queues = 1,
		.num_workers = FS_WORKERS,
		.handle = fs_handle,
		.ctx = s,
		.sandbox = sbp,
		.dax_gpa = w ? w->gpa : 0,
		.dax_size = w ? w->size : 0,
	};
	struct virtio_fs *fs = virtio_fs_new(&p, err);
	if (fs == NULL)
		return -1;
	return add_device(d, virtio_fs_ops(fs), fs, err);
}

static int add_fs(struct devices *d, struct vmm *v, const char *host_dir,
		  const char *guest_dir, const char *tag, mvm_error **err)
{
	struct fuse_server_opts o = {
	    .root_dir = host_dir,
	    .share_mode = config_share_mode_of(v->cfg, guest_dir),
	    .read_only = config_read_only_of(v->cfg, guest_dir),
	};
	return add_fs_opts(d, v, o, tag, err);
}

#define IMAGE_CACHE_TIMEOUT_MS (3600u * 1000u)

/* An image's root: its layers, read-only and grafted into one share (top
 * last, as overlayfs numbers them), and the run's writable layer. Both
 * are virtual: the layers hold the guest's owners that way. */
static int add_image_fs(struct devices *d, struct vmm *v, mvm_error **err)
{
	const struct config_image *im = &v->cfg->image;
	if (run_layer_create(v->cfg, &d->run, err) < 0)
		return -1;
	/* Nothing but this guest changes either share while it runs (layers
	 * are immutable, the run layer is its own), so the guest may cache
	 * entries, attributes and misses for long: overlayfs looks a name up
	 * in every layer above the one that has it. */
	struct fuse_server_opts layers = {
	    .root_dir = d->run.layers_root,
	    .read_only = true,
	    .share_mode = MVM_SHARE_VIRTUAL,
	    .grafts = (const char *const *)im->layers,
	    .n_grafts = im->n_layers,
	    .cache_timeout_ms = IMAGE_CACHE_TIMEOUT_MS,
	    .cache_negative = true,
	};
	struct fuse_server_opts rw = {.root_dir = d->run.rw,
				      .share_mode = MVM_SHARE_VIRTUAL,
				      .cache_timeout_ms = IMAGE_CACHE_TIMEOUT_MS,
				      .cache_negative = true};
	if (add_fs_opts(d, v, layers, MVM_LAYERS_TAG, err) < 0 ||
	    (!im->tmpfs_upper && add_fs_opts(d, v, rw, MVM_RW_TAG, err) < 0))
		return mvm_err_wrap(err, "image `%s`", im->name);
	return 0;
}

static int net_deliver(void *ctx, const void *frame, size_t len)
{
	return virtio_net_receive(ctx, frame, len);
}

static unsigned net_transmit(void *ctx)
{
	return virtio_net_transmit(ctx);
}

/* The guest's network: a virtio-net device whose frames go to libslirp,
 * with the port map as host forwards. A busy host port fails the start. */
static int add_net(struct devices *d, const struct vmm *v, mvm_error **err)
{
	const struct mvm_config *cfg = v->cfg;
	struct slirp_backend_config bc = {
		.assigned_ip = cfg->has_assigned_ip ? cfg->assigned_ip : 0,
		.local_only = cfg->local_only,
		.publish_listening = cfg->publish_listening,
		.publish_bind_ip = cfg->publish_bind_ip,
		.log = v->log,
		.sandbox = v->sandbox,
	};
	d->slirp = slirp_backend_new(&bc, err);
	if (d->slirp == NULL)
		return -1;
	for (size_t i = 0; i < cfg->n_ports; i++) {
		const mvm_port_pair *p = &cfg->ports[i];
		char bind[IPV4_STR_MAX];
		ipv4_format(p->bind_ip, bind);
		if (slirp_backend_add_hostfwd(d->slirp, p->udp, bind, p->host, p->guest, err) < 0)
			return -1;
	}
	/* A locally administered unicast MAC, fixed: one NIC per VM. */
	struct virtio_net_params p = {
		.mac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56},
		.mtu = SLIRP_BACKEND_MTU,
		.send_to_backend = slirp_backend_send,
		.kick = slirp_backend_wake,
		.backend_ctx = d->slirp,
	};
	if (add_device(d, &virtio_net_ops, virtio_net_new(&p, err), err) < 0)
		return -1;
	d->net = d->mmio[d->n - 1];
	slirp_backend_attach(d->slirp, net_deliver, net_transmit, virtio_mmio_dev(d->net));
	return slirp_backend_start(d->slirp, err);
}

/* The vsock device and the Unix socket host programs reach it by. */
static int add_vsock(struct devices *d, const struct vmm *v, mvm_error **err)
{
	struct virtio_vsock_params p = {.guest_cid = VSOCK_DEFAULT_GUEST_CID,
					.uds_path = v->cfg->vsock_path};
	if (add_device(d, &virtio_vsock_ops, virtio_vsock_new(&p, err), err) < 0)
		return -1;
	d->vsock = d->mmio[d->n - 1];
	d->vsock_listener =
	    vsock_listener_new(virtio_mmio_dev(d->vsock), v->loop, v->cfg->vsock_path, err);
	return d->vsock_listener ? 0 : -1;
}

int devices_create(struct vmm *v, const struct vmm_stdio *stdio, mvm_error **err)
{
	struct devices *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "allocate devices");
	v->devices = d;
	d->boot_timer = -1;
	d->dax_timer = -1;
	d->boot_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->boot_timer < 0)
		return mvm_err_sys(err, "timerfd for the boot watchdog");
	struct itimerspec its = {.it_value = {.tv_sec = DEVICES_BOOT_TIMEOUT_S}};
	if (timerfd_settime(d->boot_timer, 0, &its, NULL) < 0)
		return mvm_err_sys(err, "arm the boot watchdog");
	if (event_loop_add(v->loop, d->boot_timer, EPOLLIN, boot_timeout, v, err) < 0)
		return -1;
	d->host = (struct virtio_host){
		.mem = &v->mem, .vm_fd = v->kvm.vm_fd, .loop = v->loop, .log = v->log,
		.sandbox = v->sandbox};
	if (add_console(d, stdio->in_fd, stdio->out_fd, stdio->in_fd >= 0 ? v : NULL, err) < 0 ||
	    add_console(d, -1, stdio->err_fd, NULL, err) < 0 ||
	    add_control_console(d, v, err) < 0)
		return -1;
	d->control = d->mmio[2];
	/* Without a host stdin the program must read EOF at once, not hang. */
	if (stdio->in_fd < 0 &&
	    virtio_console_send_stdin_eof(virtio_mmio_dev(d->control), 0, err) < 0)
		return -1;
	if (add_device(d, &virtio_rng_ops, virtio_rng_new(err), err) < 0)
		return -1;
	if (v->cfg->image.ref != NULL ? add_image_fs(d, v, err) < 0
				      : add_fs(d, v, v->cfg->root_path, "/", MVM_ROOT_TAG, err) < 0)
		return -1;
	for (size_t i = 0; i < v->cfg->n_mapped_dirs; i++) {
		char tag[GUEST_MOUNT_TAG_MAX + 1];
		guest_mount_tag(i, tag);
		if (add_fs(d, v, v->cfg->mapped_dirs[i].host, v->cfg->mapped_dirs[i].guest, tag,
			   err) < 0)
			return -1;
	}
	if (d->n_dax > 0 && start_dax_repair(d, v, err) < 0)
		return -1;
	if (v->cfg->vsock_path != NULL && add_vsock(d, v, err) < 0)
		return -1;
	return add_net(d, v, err);
}

int devices_cmdline(const struct vmm *v, char *buf, size_t len, mvm_error **err)
{
	const struct devices *d = v->devices;
	size_t used = strlen(buf);
	for (unsigned i = 0; i < d->n; i++) {
		if (used + 1 >= len)
			return mvm_err(err, MVM_ERR_INVALID, 0, "kernel command line too long");
		buf[used++] = ' ';
		buf[used] = '\0';
		int n = virtio_mmio_cmdline(d->mmio[i], buf + used, len - used);
		if (n < 0 || (size_t)n >= len - used)
			return mvm_err(err, MVM_ERR_INVALID, 0, "kernel command line too long");
		used += (size_t)n;
	}
	return 0;
}

unsigned devices_irqs(const struct vmm *v, unsigned *irqs, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < v->devices->n && n < max; i++)
		irqs[n++] = virtio_mmio_gsi(v->devices->mmio[i]);
	return n;
}

bool devices_mmio(struct vmm *v, uint64_t gpa, uint8_t *data, uint32_t len, bool is_write)
{
	struct devices *d = v->devices;
	if (gpa < LAYOUT_VIRTIO_MMIO_BASE)
		return false;
	uint64_t slot = (gpa - LAYOUT_VIRTIO_MMIO_BASE) / LAYOUT_VIRTIO_MMIO_SIZE;
	if (slot >= d->n)
		return false;
	uint64_t off = gpa - virtio_mmio_base(d->mmio[slot]);
	virtio_mmio_access(d->mmio[slot], off, data, len, is_write);
	return true;
}

int devices_control(struct vmm *v, const char *msg, size_t len, mvm_error **err)
{
	return virtio_console_inject(virtio_mmio_dev(v->devices->control), msg, len, err);
}

void devices_log_net_stats(struct vmm *v)
{
	struct devices *d = v->devices;
	if (d == NULL || d->slirp == NULL || d->net == NULL)
		return;
	struct virtio_net_stats s;
	virtio_net_get_stats(virtio_mmio_dev(d->net), &s);
	struct slirp_backend_stats bs;
	slirp_backend_get_stats(d->slirp, &bs);
	log_info(v->log,
		 "stats: net rx_frames=%llu rx_dropped=%llu tx_frames=%llu tx_dropped=%llu "
		 "filtered=%llu backend_dropped=%llu backend_queued_bytes=%zu",
		 (unsigned long long)s.rx_frames, (unsigned long long)s.rx_dropped,
		 (unsigned long long)s.tx_frames, (unsigned long long)s.tx_dropped,
		 (unsigned long long)bs.filtered, (unsigned long long)bs.rx_dropped,
		 bs.pending_bytes);
}

void devices_get_stats(struct vmm *v, mvm_vm_stats *out)
{
	struct devices *d = v->devices;
	if (d == NULL)
		return;
	for (unsigned i = 0; i < d->n_fs; i++) {
		struct fuse_server_stats fs;
		fuse_server_get_stats(d->fs[i], &fs);
		out->fs_requests += fs.requests;
		out->fs_read_bytes += fs.read_bytes;
		out->fs_write_bytes += fs.write_bytes;
	}
	if (d->net) {
		struct virtio_net_stats ns;
		virtio_net_get_stats(virtio_mmio_dev(d->net), &ns);
		out->net_rx_frames = ns.rx_frames;
		out->net_rx_bytes = ns.rx_bytes;
		out->net_tx_frames = ns.tx_frames;
		out->net_tx_bytes = ns.tx_bytes;
		out->net_dropped = ns.rx_dropped + ns.tx_dropped;
	}
	if (d->slirp) {
		struct slirp_backend_stats bs;
		slirp_backend_get_stats(d->slirp, &bs);
		out->net_dropped += bs.rx_dropped + bs.filtered;
	}
	if (d->vsock) {
		struct virtio_vsock_stats vs;
		virtio_vsock_get_stats(virtio_mmio_dev(d->vsock), &vs);
		out->vsock_connections = vs.conns;
		out->vsock_rx_bytes = vs.to_guest;
		out->vsock_tx_bytes = vs.from_guest;
	}
}

void devices_close_output(struct vmm *v)
{
	struct devices *d = v->devices;
	/* hvc0 and hvc1; hvc2 has no host fd. */
	for (unsigned i = 0; d && i < 2 && i < d->n; i++)
		virtio_console_close_output(virtio_mmio_dev(d->mmio[i]));
}

size_t devices_dax_repair(struct vmm *v)
{
	struct devices *d = v->devices;
	size_t n = 0;
	for (unsigned i = 0; d && i < d->n_fs; i++)
		n += fuse_server_dax_repair(d->fs[i]);
	return n;
}

void devices_destroy(struct vmm *v)
{
	struct devices *d = v->devices;
	if (d == NULL)
		return;
	/* The repair timer first: it reaches into the FUSE servers. */
	if (d->dax_timer >= 0) {
		event_loop_del(v->loop, d->dax_timer);
		close(d->dax_timer);
	}
	/* The network thread next: it delivers into the net device, so it
	 * must be gone before that device is reset and freed. */
	slirp_backend_free(d->slirp);
	/* No new host connection may reach the vsock device while it goes. */
	vsock_listener_free(d->vsock_listener);
	/* Then the devices: their worker threads may still be inside the FUSE
	 * servers until virtio_mmio_free() has stopped them. */
	for (unsigned i = d->n; i-- > 0;)
		virtio_mmio_free(d->mmio[i]);
	for (unsigned i = 0; i < d->n_fs; i++)
		fuse_server_free(d->fs[i]);
	/* No vCPU runs and no server maps any more: the windows can go. */
	for (unsigned i = 0; i < d->n_dax; i++)
		munmap(d->dax[i].host, d->dax[i].size);
	if (d->boot_timer >= 0) {
		event_loop_del(v->loop, d->boot_timer);
		close(d->boot_timer);
	}
	run_layer_remove(&d->run);
	free(d);
	v->devices = NULL;
}

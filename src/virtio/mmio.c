/* SPDX-License-Identifier: Apache-2.0 */
#include "virtio/mmio.h"

#include "util/error.h"
#include "virtio/virtio_spec.h"
#include "virtio/virtq.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Features every device gets from the transport and the split ring. */
#define TRANSPORT_FEATURES                                                                         \
	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |                    \
	 VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC))

struct virtio_dev;

/* Per-queue registers the driver stages before QueueReady, and the
 * ioeventfd that carries its notifications once ready. */
struct mmio_queue {
	struct virtio_dev *dev;
	uint16_t index;
	uint32_t num;
	uint64_t desc, driver, device;
	int kick_fd; /* ioeventfd, -1 when not registered */
};

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	void *priv;
	const struct virtio_host *host;
	uint64_t base;
	uint32_t gsi;
	int irq_fd; /* KVM irqfd, -1 without KVM */

	/* Serializes guest register accesses (vCPU threads). Never taken by
	 * loop callbacks or device threads, so that reset may wait for them. */
	pthread_mutex_t lock;
	uint32_t device_features_sel;
	uint32_t driver_features_sel;
	uint32_t queue_sel;
	uint32_t shm_sel;
	uint64_t driver_features;

	/* Touched from any thread: atomics only. */
	uint32_t status;
	uint32_t isr;
	uint32_t config_generation;
	uint64_t irq_count;
	bool activated;
	bool broken_logged;

	struct virtq *queues;
	struct mmio_queue *mq;
};

struct virtio_mmio {
	struct virtio_dev d;
};

static uint64_t offered_features(const struct virtio_dev *d)
{
	return d->ops->features | TRANSPORT_FEATURES;
}

static void raise_irq(struct virtio_dev *d, uint32_t why)
{
	__atomic_fetch_or(&d->isr, why, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&d->irq_count, 1, __ATOMIC_RELAXED);
	if (d->irq_fd >= 0) {
		uint64_t one = 1;
		/* An eventfd write only fails when the counter would overflow,
		 * which means the interrupt is pending anyway. */
		if (write(d->irq_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_warn(d->host->log, "%s: irqfd write: %s", d->ops->name,
				 strerror(errno));
	}
}

/* ---- device-facing API ------------------------------------------------ */

void *virtio_dev_priv(struct virtio_dev *d)
{
	return d->priv;
}

const struct virtio_host *virtio_dev_host(struct virtio_dev *d)
{
	return d->host;
}

struct virtq *virtio_dev_queue(struct virtio_dev *d, uint16_t q)
{
	return q < d->ops->num_queues ? &d->queues[q] : NULL;
}

uint64_t virtio_dev_features(struct virtio_dev *d)
{
	return __atomic_load_n(&d->driver_features, __ATOMIC_ACQUIRE);
}

void virtio_dev_set_broken(struct virtio_dev *d, const char *fmt, ...)
{
	if (!__atomic_exchange_n(&d->broken_logged, true, __ATOMIC_SEQ_CST)) {
		char msg[512];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		log_error(d->host->log, "%s: guest error, device needs reset: %s", d->ops->name,
			  msg);
	}
	for (uint16_t i = 0; i < d->ops->num_queues; i++)
		virtq_set_broken(&d->queues[i]);
	uint32_t old = __atomic_fetch_or(&d->status, VIRTIO_CONFIG_S_NEEDS_RESET, __ATOMIC_SEQ_CST);
	/* §2.1.2: with DRIVER_OK set, NEEDS_RESET comes with a config change
	 * notification. */
	if ((old & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_NEEDS_RESET))
		raise_irq(d, VIRTIO_MMIO_INT_CONFIG);
}

void virtio_dev_config_changed(struct virtio_dev *d)
{
	__atomic_fetch_add(&d->config_generation, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&d->status, __ATOMIC_SEQ_CST) & VIRTIO_CONFIG_S_DRIVER_OK)
		raise_irq(d, VIRTIO_MMIO_INT_CONFIG);
}

int virtio_dev_pop(struct virtio_dev *d, uint16_t q, struct virtq_elem *e)
{
	struct virtq *vq = virtio_dev_queue(d, q);
	if (vq == NULL)
		return -1;
	mvm_error *err = NULL;
	int rc = virtq_pop(vq, e, &err);
	if (rc < 0) {
		virtio_dev_set_broken(d, "queue %u: %s", q,
				      err ? mvm_error_get_message(err) : "broken");
		mvm_error_free(err);
	}
	return rc;
}

void virtio_dev_push(struct virtio_dev *d, uint16_t q, const struct virtq_elem *e, uint32_t len)
{
	struct virtq *vq = virtio_dev_queue(d, q);
	if (vq != NULL)
		virtq_push(vq, e, len);
}

void virtio_dev_signal_used(struct virtio_dev *d, uint16_t q)
{
	struct virtq *vq = virtio_dev_queue(d, q);
	if (vq != NULL && virtq_should_signal(vq))
		raise_irq(d, VIRTIO_MMIO_INT_VRING);
}

/* ---- queue notifications ---------------------------------------------- */

static void queue_kicked(void *opaque, uint32_t events)
{
	struct mmio_queue *mq = opaque;
	uint64_t count;
	/* Drain: one notify covers every kick since the last one. */
	if (read(mq->kick_fd, &count, sizeof(count)) < 0 && errno == EAGAIN)
		return;
	struct virtio_dev *d = mq->dev;
	if (__atomic_load_n(&d->activated, __ATOMIC_ACQUIRE) && d->ops->notify)
		d->ops->notify(d, mq->index);
}

static int register_kick(struct virtio_dev *d, struct mmio_queue *mq, mvm_error **err)
{
	if (d->host->vm_fd < 0)
		return 0; /* no-KVM mode: QueueNotify writes reach us as MMIO */
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		return mvm_err_sys(err, "%s: eventfd for queue %u", d->ops->name, mq->index);
	struct kvm_ioeventfd io = {
	    .datamatch = mq->index,
	    .addr = d->base + VIRTIO_MMIO_QUEUE_NOTIFY,
	    .len = 4,
	    .fd = fd,
	    .flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
	};
	if (ioctl(d->host->vm_fd, KVM_IOEVENTFD, &io) < 0) {
		int e = errno;
		close(fd);
		return mvm_err(err, MVM_ERR_KVM, e, "%s: KVM_IOEVENTFD at 0x%" PRIx64 " queue %u",
			       d->ops->name, (uint64_t)io.addr, mq->index);
	}
	mq->kick_fd = fd;
	if (event_loop_add(d->host->loop, fd, EPOLLIN, queue_kicked, mq, err) < 0) {
		io.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
		ioctl(d->host->vm_fd, KVM_IOEVENTFD, &io);
		close(fd);
		mq->kick_fd = -1;
		return mvm_err_wrap(err, "%s: queue %u notifications", d->ops->name, mq->index);
	}
	return 0;
}

static void unregister_kick(struct virtio_dev *d, struct mmio_queue *mq)
{
	if (mq->kick_fd < 0)
		return;
	/* Waits for a running queue_kicked(), so the device sees no notify
	 * after this. */
	event_loop_del(d->host->loop, mq->kick_fd);
	struct kvm_ioeventfd io = {
	    .datamatch = mq->index,
	    .addr = d->base + VIRTIO_MMIO_QUEUE_NOTIFY,
	    .len = 4,
	    .fd = mq->kick_fd,
	    .flags = KVM_IOEVENTFD_FLAG_DATAMATCH | KVM_IOEVENTFD_FLAG_DEASSIGN,
	};
	ioctl(d->host->vm_fd, KVM_IOEVENTFD, &io);
	close(mq->kick_fd);
	mq->kick_fd = -1;
}

/* ---- register semantics ----------------------------------------------- */

static uint32_t load_status(struct virtio_dev *d)
{
	return __atomic_load_n(&d->status, __ATOMIC_SEQ_CST);
}

static struct mmio_queue *selected_queue(struct virtio_dev *d)
{
	return d->queue_sel < d->ops->num_queues ? &d->mq[d->queue_sel] : NULL;
}

/* §4.2.3.2: queues are set up after FEATURES_OK and before DRIVER_OK, and
 * only while QueueReady is 0. */
static struct mmio_queue *settable_queue(struct virtio_dev *d, const char *reg)
{
	struct mmio_queue *mq = selected_queue(d);
	uint32_t st = load_status(d);
	if (mq == NULL || !(st & VIRTIO_CONFIG_S_FEATURES_OK) || (st & VIRTIO_CONFIG_S_DRIVER_OK) ||
	    virtq_is_ready(&d->queues[mq->index])) {
		log_debug(d->host->log, "%s: %s write ignored (queue %u, status 0x%x)",
			  d->ops->name, reg, d->queue_sel, st);
		return NULL;
	}
	return mq;
}

static void queue_teardown(struct virtio_dev *d, struct mmio_queue *mq)
{
	unregister_kick(d, mq);
	virtq_reset(&d->queues[mq->index]);
}

static void queue_ready(struct virtio_dev *d, uint32_t v)
{
	if (v == 0) {
		struct mmio_queue *mq = selected_queue(d);
		if (mq != NULL)
			queue_teardown(d, mq);
		return;
	}
	struct mmio_queue *mq = settable_queue(d, "QueueReady");
	if (mq == NULL)
		return;
	mvm_error *err = NULL;
	struct virtq *q = &d->queues[mq->index];
	if (mq->num > d->ops->queue_max_size) {
		virtio_dev_set_broken(d, "queue %u: QueueNum %u exceeds QueueNumMax %u", mq->index,
				      mq->num, d->ops->queue_max_size);
		return;
	}
	if (virtq_setup(q, d->host->mem, (uint16_t)mq->num, mq->desc, mq->driver, mq->device,
			d->driver_features, &err) < 0 ||
	    register_kick(d, mq, &err) < 0) {
		virtq_reset(q);
		virtio_dev_set_broken(d, "queue %u: %s", mq->index, mvm_error_get_message(err));
		mvm_error_free(err);
	}
}

static void device_reset(struct virtio_dev *d)
{
	__atomic_store_n(&d->activated, false, __ATOMIC_RELEASE);
	/* Queues first: from here on, work still in flight in the device can
	 * neither pop nor push, so the guest's rings are not written after it
	 * asked for the reset. Then the device stops its threads. */
	for (uint16_t i = 0; i < d->ops->num_queues; i++) {
		queue_teardown(d, &d->mq[i]);
		d->mq[i].num = d->ops->queue_max_size;
		d->mq[i].desc = d->mq[i].driver = d->mq[i].device = 0;
	}
	if (d->ops->reset)
		d->ops->reset(d);
	d->device_features_sel = d->driver_features_sel = d->queue_sel = 0;
	__atomic_store_n(&d->driver_features, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&d->isr, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&d->broken_logged, false, __ATOMIC_SEQ_CST);
	__atomic_store_n(&d->status, 0, __ATOMIC_SEQ_CST);
}

static bool features_acceptable(struct virtio_dev *d)
{
	uint64_t drv = d->driver_features;
	if (!(drv & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
		log_warn(d->host->log,
			 "%s: driver did not accept VIRTIO_F_VERSION_1 (legacy "
			 "drivers are not supported)",
			 d->ops->name);
		return false;
	}
	if (drv & ~offered_features(d)) {
		log_warn(d->host->log, "%s: driver accepted features 0x%" PRIx64 " never offered",
			 d->ops->name, drv & ~offered_features(d));
		return false;
	}
	return true;
}

static void activate(struct virtio_dev *d)
{
	mvm_error *err = NULL;
	if (d->ops->activate && d->ops->activate(d, &err) < 0) {
		virtio_dev_set_broken(d, "activation failed: %s", mvm_error_get_message(err));
		mvm_error_free(err);
		return;
	}
	__atomic_store_n(&d->activated, true, __ATOMIC_RELEASE);
}

/* Returns true if the device just became active. */
static bool status_write(struct virtio_dev *d, uint32_t v)
{
	if (v == 0) {
		device_reset(d);
		return false;
	}
	uint32_t old = load_status(d);
	/* §2.1.1: the driver never clears a bit except by reset. NEEDS_RESET
	 * is the device's bit; the driver may or may not write it back. */
	if (old & ~v & ~VIRTIO_CONFIG_S_NEEDS_RESET) {
		log_debug(d->host->log, "%s: status 0x%x -> 0x%x clears bits; ignored",
			  d->ops->name, old, v);
		return false;
	}
	uint32_t nv = v | (old & VIRTIO_CONFIG_S_NEEDS_RESET);
	uint32_t added = nv & ~old;
	if ((added & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    (!(nv & VIRTIO_CONFIG_S_DRIVER) || !features_acceptable(d)))
		nv &= ~VIRTIO_CONFIG_S_FEATURES_OK; /* §3.1.1: driver re-reads it */
	if ((added & VIRTIO_CONFIG_S_DRIVER_OK) && !(nv & VIRTIO_CONFIG_S_FEATURES_OK)) {
		log_warn(d->host->log, "%s: DRIVER_OK without FEATURES_OK; ignored", d->ops->name);
		nv &= ~VIRTIO_CONFIG_S_DRIVER_OK;
	}
	/* Keep a NEEDS_RESET that a device thread set meanwhile. */
	__atomic_fetch_or(&d->status, nv, __ATOMIC_SEQ_CST);
	return (nv & ~old & VIRTIO_CONFIG_S_DRIVER_OK) && !(nv & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void set_low(uint64_t *r, uint32_t v)
{
	*r = (*r & 0xffffffff00000000ull) | v;
}

static void set_high(uint64_t *r, uint32_t v)
{
	*r = (*r & 0xffffffffull) | ((uint64_t)v << 32);
}

static uint32_t reg_read(struct virtio_dev *d, uint64_t off)
{
	struct mmio_queue *mq = selected_queue(d);
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return d->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (d->device_features_sel > 1)
			return 0;
		return (uint32_t)(offered_features(d) >> (32 * d->device_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return mq ? d->ops->queue_max_size : 0; /* 0: no such queue */
	case VIRTIO_MMIO_QUEUE_NUM:
		return mq ? mq->num : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return mq ? virtq_is_ready(&d->queues[mq->index]) : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return __atomic_load_n(&d->isr, __ATOMIC_SEQ_CST);
	case VIRTIO_MMIO_STATUS:
		return load_status(d);
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		return mq ? (uint32_t)mq->desc : 0;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		return mq ? (uint32_t)(mq->desc >> 32) : 0;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
		return mq ? (uint32_t)mq->driver : 0;
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		return mq ? (uint32_t)(mq->driver >> 32) : 0;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
		return mq ? (uint32_t)mq->device : 0;
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		return mq ? (uint32_t)(mq->device >> 32) : 0;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH: {
		/* A length of ~0 tells Linux there is no such region. */
		uint64_t gpa = ~0ull, len = ~0ull;
		if (d->shm_sel > UINT8_MAX || d->ops->shm_region == NULL ||
		    !d->ops->shm_region(d, (uint8_t)d->shm_sel, &gpa, &len))
			gpa = len = ~0ull;
		uint64_t v = off <= VIRTIO_MMIO_SHM_LEN_HIGH ? len : gpa;
		return (off & 4) ? (uint32_t)(v >> 32) : (uint32_t)v;
	}
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return __atomic_load_n(&d->config_generation, __ATOMIC_SEQ_CST);
	default:
		return 0;
	}
}

/* Returns the queue to notify after the lock is dropped, or -1. */
static int reg_write(struct virtio_dev *d, uint64_t off, uint32_t v, bool *activated)
{
	struct mmio_queue *mq;
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		d->device_features_sel = v;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES: {
		uint32_t st = load_status(d);
		if (!(st & VIRTIO_CONFIG_S_DRIVER) || (st & VIRTIO_CONFIG_S_FEATURES_OK) ||
		    d->driver_features_sel > 1) {
			log_debug(d->host->log, "%s: DriverFeatures write ignored (status 0x%x)",
				  d->ops->name, st);
			break;
		}
		uint64_t f = __atomic_load_n(&d->driver_features, __ATOMIC_RELAXED);
		if (d->driver_features_sel == 0)
			set_low(&f, v);
		else
			set_high(&f, v);
		__atomic_store_n(&d->driver_features, f, __ATOMIC_RELEASE);
		break;
	}
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		d->driver_features_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		d->queue_sel = v;
		break;
	case VIRTIO_MMIO_SHM_SEL:
		d->shm_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if ((mq = settable_queue(d, "QueueNum")))
			mq->num = v;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		queue_ready(d, v);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		if (v < d->ops->num_queues)
			return (int)v;
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		__atomic_fetch_and(&d->isr, ~v, __ATOMIC_SEQ_CST);
		break;
	case VIRTIO_MMIO_STATUS:
		*activated = status_write(d, v);
		if (*activated)
			activate(d);
		*activated = *activated && __atomic_load_n(&d->activated, __ATOMIC_ACQUIRE);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		if ((mq = settable_queue(d, "QueueDescLow")))
			set_low(&mq->desc, v);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if ((mq = settable_queue(d, "QueueDescHigh")))
			set_high(&mq->desc, v);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
		if ((mq = settable_queue(d, "QueueDriverLow")))
			set_low(&mq->driver, v);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		if ((mq = settable_queue(d, "QueueDriverHigh")))
			set_high(&mq->driver, v);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
		if ((mq = settable_queue(d, "QueueDeviceLow")))
			set_low(&mq->device, v);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		if ((mq = settable_queue(d, "QueueDeviceHigh")))
			set_high(&mq->device, v);
		break;
	default:
		break; /* read-only or unknown: ignored */
	}
	return -1;
}

static void config_access(struct virtio_dev *d, uint64_t off, void *data, uint32_t len,
			  bool is_write)
{
	uint32_t size = d->ops->config_size;
	bool inside = off <= size && len <= size - off;
	if (is_write) {
		if (inside && d->ops->write_config)
			d->ops->write_config(d, (uint32_t)off, data, len);
		return;
	}
	memset(data, 0, len);
	if (inside && d->ops->read_config)
		d->ops->read_config(d, (uint32_t)off, data, len);
}

void virtio_mmio_access(struct virtio_mmio *m, uint64_t offset, void *data, uint32_t len,
			bool is_write)
{
	struct virtio_dev *d = &m->d;
	if (data == NULL || len == 0 || len > 8 || offset >= VIRTIO_MMIO_SIZE)
		return;
	if (offset >= VIRTIO_MMIO_CONFIG) {
		pthread_mutex_lock(&d->lock);
		config_access(d, offset - VIRTIO_MMIO_CONFIG, data, len, is_write);
		pthread_mutex_unlock(&d->lock);
		return;
	}
	/* §4.2.2.2: registers below the config space are 32-bit wide and
	 * accessed only as such. */
	if (len != 4 || offset % 4 != 0) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	int notify_q = -1;
	bool activated = false;
	pthread_mutex_lock(&d->lock);
	if (is_write) {
		uint32_t v;
		memcpy(&v, data, 4);
		notify_q = reg_write(d, offset, v, &activated);
	} else {
		uint32_t v = reg_read(d, offset);
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&d->lock);

	if (!d->ops->notify)
		return;
	if (activated) {
		/* Kicks that came before DRIVER_OK were dropped: look at every
		 * queue once. */
		for (uint16_t q = 0; q < d->ops->num_queues; q++)
			d->ops->notify(d, q);
	} else if (notify_q >= 0 && __atomic_load_n(&d->activated, __ATOMIC_ACQUIRE)) {
		d->ops->notify(d, (uint16_t)notify_q);
	}
}

/* ---- lifecycle ---------------------------------------------------------- */

struct virtio_mmio *virtio_mmio_new(const struct virtio_dev_ops *ops, void *priv,
				    const struct virtio_host *host, uint64_t base_gpa, uint32_t gsi,
				    mvm_error **err)
{
	if (ops->num_queues == 0 || ops->queue_max_size == 0 ||
	    ops->queue_max_size > VIRTQ_MAX_SIZE ||
	    (ops->queue_max_size & (ops->queue_max_size - 1)) != 0) {
		mvm_err(err, MVM_ERR_INVALID, 0,
			"virtio device %s: %u queues of max size %u (need >= 1 queue and a power "
			"of two <= %u)",
			ops->name, ops->num_queues, ops->queue_max_size, VIRTQ_MAX_SIZE);
		goto fail;
	}
	if (host->vm_fd >= 0 && host->loop == NULL) {
		mvm_err(err, MVM_ERR_INVALID, 0, "virtio device %s: KVM mode needs an event loop",
			ops->name);
		goto fail;
	}
	struct virtio_mmio *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "virtio device %s", ops->name);
		goto fail;
	}
	struct virtio_dev *d = &m->d;
	d->ops = ops;
	d->priv = priv;
	d->host = host;
	d->base = base_gpa;
	d->gsi = gsi;
	d->irq_fd = -1;
	pthread_mutex_init(&d->lock, NULL);
	d->queues = calloc(ops->num_queues, sizeof(*d->queues));
	d->mq = calloc(ops->num_queues, sizeof(*d->mq));
	if (d->queues == NULL || d->mq == NULL) {
		free(d->queues);
		free(d->mq);
		pthread_mutex_destroy(&d->lock);
		free(m);
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "virtio device %s queues", ops->name);
		goto fail;
	}
	for (uint16_t i = 0; i < ops->num_queues; i++) {
		virtq_init(&d->queues[i]);
		d->mq[i] = (struct mmio_queue){
		    .dev = d, .index = i, .num = ops->queue_max_size, .kick_fd = -1};
	}
	if (host->vm_fd >= 0) {
		d->irq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (d->irq_fd < 0) {
			mvm_err_sys(err, "virtio device %s: eventfd for irq", ops->name);
			virtio_mmio_free(m);
			return NULL;
		}
		struct kvm_irqfd irqfd = {.fd = (uint32_t)d->irq_fd, .gsi = gsi};
		if (ioctl(host->vm_fd, KVM_IRQFD, &irqfd) < 0) {
			mvm_err(err, MVM_ERR_KVM, errno, "virtio device %s: KVM_IRQFD for gsi %u",
				ops->name, gsi);
			close(d->irq_fd);
			d->irq_fd = -1;
			virtio_mmio_free(m);
			return NULL;
		}
	}
	return m;
fail:
	if (ops->free)
		ops->free(priv);
	return NULL;
}

void virtio_mmio_free(struct virtio_mmio *m)
{
	if (m == NULL)
		return;
	struct virtio_dev *d = &m->d;
	pthread_mutex_lock(&d->lock);
	device_reset(d);
	pthread_mutex_unlock(&d->lock);
	/* The ops table may live inside priv (virtio-fs): copy what we still
	 * need before freeing it. */
	uint16_t num_queues = d->ops->num_queues;
	if (d->ops->free)
		d->ops->free(d->priv);
	if (d->irq_fd >= 0) {
		struct kvm_irqfd irqfd = {
		    .fd = (uint32_t)d->irq_fd, .gsi = d->gsi, .flags = KVM_IRQFD_FLAG_DEASSIGN};
		ioctl(d->host->vm_fd, KVM_IRQFD, &irqfd);
		close(d->irq_fd);
	}
	for (uint16_t i = 0; i < num_queues; i++)
		virtq_destroy(&d->queues[i]);
	free(d->queues);
	free(d->mq);
	pthread_mutex_destroy(&d->lock);
	free(m);
}

int virtio_mmio_cmdline(const struct virtio_mmio *m, char *buf, size_t len)
{
	return snprintf(buf, len, "virtio_mmio.device=%uK@0x%" PRIx64 ":%u",
			VIRTIO_MMIO_SIZE / 1024, m->d.base, m->d.gsi);
}

struct virtio_dev *virtio_mmio_dev(struct virtio_mmio *m)
{
	return &m->d;
}

uint64_t virtio_mmio_base(const struct virtio_mmio *m)
{
	return m->d.base;
}

uint32_t virtio_mmio_gsi(const struct virtio_mmio *m)
{
	return m->d.gsi;
}

uint64_t virtio_mmio_irq_count(const struct virtio_mmio *m)
{
	return __atomic_load_n(&m->d.irq_count, __ATOMIC_RELAXED);
}

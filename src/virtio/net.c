/* SPDX-License-Identifier: Apache-2.0 */
#include "virtio/net.h"

#include "util/error.h"
#include "virtio/virtio_spec.h"
#include "virtio/virtq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RX_Q 0
#define TX_Q 1

/* §5.1.4: mac[6], status, max_virtqueue_pairs, mtu (little-endian u16 at
 * 10). We offer neither STATUS nor MQ, so those read 0. */
#define NET_CONFIG_SIZE 12
#define NET_CONFIG_MTU_OFF 10
#define NET_DEFAULT_MTU 1500
#define ETH_HDR_LEN 14u

#define NET_FEATURES                                                                               \
	(VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_MTU) |                              \
	 VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) | VIRTIO_BIT(VIRTIO_NET_F_CSUM) |                      \
	 VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM))

struct virtio_net {
	struct virtio_net_params p;

	pthread_mutex_t rx_lock;
	bool active;
	uint64_t rx_frames, rx_bytes, rx_dropped;
	struct virtq_elem *rx_elems; /* VIRTIO_NET_RX_MAX_BUFS of them */

	pthread_mutex_t tx_lock;
	uint64_t tx_frames, tx_bytes, tx_dropped;
	struct virtq_elem tx_elem;
	uint8_t tx_buf[VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME];
};

static const struct mvm_logger *log_of(struct virtio_dev *d)
{
	return virtio_dev_host(d)->log;
}

static bool negotiated(struct virtio_dev *d, unsigned bit)
{
	return (virtio_dev_features(d) & VIRTIO_BIT(bit)) != 0;
}

/* ---- receive ------------------------------------------------------------ */

/* Copies len bytes from src into e's writable buffers starting at byte
 * `skip` of them. */
static void fill_at(struct virtq_elem *e, size_t skip, const uint8_t *src, size_t len)
{
	struct iovec *iov = virtq_elem_write_iov(e);
	for (unsigned i = 0; i < e->n_write && len > 0; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		size_t n = iov[i].iov_len - skip;
		if (n > len)
			n = len;
		memcpy((uint8_t *)iov[i].iov_base + skip, src, n);
		src += n;
		len -= n;
		skip = 0;
	}
}

static void give_back(struct virtio_dev *d, struct virtio_net *n, unsigned count)
{
	/* Newest first: each unpop steps last_avail back by one. */
	while (count > 0)
		virtq_unpop(virtio_dev_queue(d, RX_Q), &n->rx_elems[--count]);
}

int virtio_net_receive(struct virtio_dev *d, const void *frame, size_t len)
{
	struct virtio_net *n = virtio_dev_priv(d);
	pthread_mutex_lock(&n->rx_lock);
	if (!n->active || len == 0 || len > VIRTIO_NET_MAX_FRAME)
		goto drop;

	bool mrg = negotiated(d, VIRTIO_NET_F_MRG_RXBUF);
	unsigned max_bufs = mrg ? VIRTIO_NET_RX_MAX_BUFS : 1;
	uint64_t total = VIRTIO_NET_HDR_LEN + len, room = 0;
	unsigned used = 0;
	while (room < total) {
		if (used == max_bufs) {
			log_debug(log_of(d), "virtio-net: a %zu-byte frame needs more than %u rx "
					     "buffers; dropped", len, max_bufs);
			give_back(d, n, used);
			goto drop;
		}
		int rc = virtio_dev_pop(d, RX_Q, &n->rx_elems[used]);
		if (rc != 1) {
			if (rc == 0)
				give_back(d, n, used);
			goto drop;
		}
		struct virtq_elem *e = &n->rx_elems[used++];
		/* §5.1.6.3.1: every rx buffer must hold at least the header. */
		if (e->read_len != 0 || e->write_len < VIRTIO_NET_HDR_LEN) {
			virtio_dev_set_broken(d, "virtio-net: rx buffer %u has %llu readable and "
						 "%llu writable bytes; needs 0 and >= %u",
					      e->head, (unsigned long long)e->read_len,
					      (unsigned long long)e->write_len, VIRTIO_NET_HDR_LEN);
			goto drop;
		}
		room += e->write_len;
	}

	struct virtio_net_hdr_v1 hdr = {
	    .flags = negotiated(d, VIRTIO_NET_F_GUEST_CSUM) ? VIRTIO_NET_HDR_F_DATA_VALID : 0,
	    .gso_type = VIRTIO_NET_HDR_GSO_NONE,
	    .num_buffers = (uint16_t)used,
	};
	struct virtq_elem *elems[VIRTIO_NET_RX_MAX_BUFS];
	uint32_t lens[VIRTIO_NET_RX_MAX_BUFS];
	const uint8_t *src = frame;
	size_t left = len;
	for (unsigned i = 0; i < used; i++) {
		struct virtq_elem *e = &n->rx_elems[i];
		size_t skip = 0;
		if (i == 0) {
			fill_at(e, 0, (const uint8_t *)&hdr, sizeof(hdr));
			skip = sizeof(hdr);
		}
		size_t chunk = e->write_len - skip;
		if (chunk > left)
			chunk = left;
		fill_at(e, skip, src, chunk);
		src += chunk;
		left -= chunk;
		elems[i] = e;
		lens[i] = (uint32_t)(skip + chunk);
	}
	virtq_push_many(virtio_dev_queue(d, RX_Q), elems, lens, used);
	n->rx_frames++;
	n->rx_bytes += len;
	pthread_mutex_unlock(&n->rx_lock);
	virtio_dev_signal_used(d, RX_Q);
	return 0;

drop:
	n->rx_dropped++;
	pthread_mutex_unlock(&n->rx_lock);
	return -1;
}

/* ---- transmit ----------------------------------------------------------- */

/* RFC 1071 ones' complement sum, folded. */
static uint16_t inet_checksum(const uint8_t *p, size_t len)
{
	uint64_t sum = 0;
	for (; len >= 2; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* §5.1.6.2: NEEDS_CSUM means the checksum over [csum_start, end) goes at
 * csum_start + csum_offset; the guest already put the pseudo-header sum
 * there. Returns false for offsets outside the frame. */
static bool complete_checksum(uint8_t *frame, size_t len, const struct virtio_net_hdr_v1 *h)
{
	size_t start = h->csum_start, at = (size_t)h->csum_start + h->csum_offset;
	if (start >= len || at + 2 > len)
		return false;
	uint16_t c = inet_checksum(frame + start, len - start);
	frame[at] = (uint8_t)(c >> 8);
	frame[at + 1] = (uint8_t)c;
	return true;
}

unsigned virtio_net_transmit(struct virtio_dev *d)
{
	struct virtio_net *n = virtio_dev_priv(d);
	unsigned taken = 0;
	pthread_mutex_lock(&n->tx_lock);
	while (virtio_dev_pop(d, TX_Q, &n->tx_elem) == 1) {
		struct virtq_elem *e = &n->tx_elem;
		uint64_t len = e->read_len;
		if (len <= VIRTIO_NET_HDR_LEN || len > VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME) {
			log_debug(log_of(d), "virtio-net: tx chain of %llu bytes is outside "
					     "%u..%u; dropped",
				  (unsigned long long)len, VIRTIO_NET_HDR_LEN + 1,
				  VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME);
			n->tx_dropped++;
		} else {
			/* One copy: the guest can no longer change what we check. */
			virtq_elem_gather(e, n->tx_buf, len);
			struct virtio_net_hdr_v1 h;
			memcpy(&h, n->tx_buf, sizeof(h));
			uint8_t *frame = n->tx_buf + VIRTIO_NET_HDR_LEN;
			size_t flen = len - VIRTIO_NET_HDR_LEN;
			bool ok = true;
			if (h.gso_type != VIRTIO_NET_HDR_GSO_NONE)
				ok = false; /* no GSO offered */
			else if ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
				 negotiated(d, VIRTIO_NET_F_CSUM))
				ok = complete_checksum(frame, flen, &h);
			if (ok) {
				struct iovec iov = {frame, flen};
				if (n->p.send_to_backend)
					n->p.send_to_backend(n->p.backend_ctx, &iov, 1);
				n->tx_frames++;
				n->tx_bytes += flen;
			} else {
				log_debug(log_of(d), "virtio-net: tx header (flags %u gso %u "
						     "csum %u+%u) invalid for a %zu-byte frame; "
						     "dropped",
					  h.flags, h.gso_type, h.csum_start, h.csum_offset, flen);
				n->tx_dropped++;
			}
		}
		virtio_dev_push(d, TX_Q, e, 0);
		taken++;
	}
	pthread_mutex_unlock(&n->tx_lock);
	if (taken > 0)
		virtio_dev_signal_used(d, TX_Q);
	return taken;
}

/* ---- ops ---------------------------------------------------------------- */

static void net_notify(struct virtio_dev *d, uint16_t q)
{
	struct virtio_net *n = virtio_dev_priv(d);
	if (n->p.kick)
		n->p.kick(n->p.backend_ctx);
}

static int net_activate(struct virtio_dev *d, mvm_error **err)
{
	struct virtio_net *n = virtio_dev_priv(d);
	pthread_mutex_lock(&n->rx_lock);
	n->active = true;
	pthread_mutex_unlock(&n->rx_lock);
	if (n->p.kick)
		n->p.kick(n->p.backend_ctx);
	return 0;
}

static void net_reset(struct virtio_dev *d)
{
	struct virtio_net *n = virtio_dev_priv(d);
	pthread_mutex_lock(&n->rx_lock);
	n->active = false;
	pthread_mutex_unlock(&n->rx_lock);
	/* Wait for a transmit in flight. */
	pthread_mutex_lock(&n->tx_lock);
	pthread_mutex_unlock(&n->tx_lock);
}

static void net_read_config(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len)
{
	struct virtio_net *n = virtio_dev_priv(d);
	uint8_t cfg[NET_CONFIG_SIZE] = {0};
	memcpy(cfg, n->p.mac, 6);
	cfg[NET_CONFIG_MTU_OFF] = (uint8_t)n->p.mtu;
	cfg[NET_CONFIG_MTU_OFF + 1] = (uint8_t)(n->p.mtu >> 8);
	memcpy(buf, cfg + off, len); /* off + len <= config_size: checked by mmio */
}

static void net_free(void *priv)
{
	struct virtio_net *n = priv;
	if (n == NULL)
		return;
	pthread_mutex_destroy(&n->rx_lock);
	pthread_mutex_destroy(&n->tx_lock);
	free(n->rx_elems);
	free(n);
}

const struct virtio_dev_ops virtio_net_ops = {
    .name = "virtio-net",
    .device_id = VIRTIO_ID_NET,
    .features = NET_FEATURES,
    .num_queues = 2,
    .queue_max_size = 256,
    .config_size = NET_CONFIG_SIZE,
    .read_config = net_read_config,
    .activate = net_activate,
    .notify = net_notify,
    .reset = net_reset,
    .free = net_free,
};

struct virtio_net *virtio_net_new(const struct virtio_net_params *p, mvm_error **err)
{
	/* Any 16-bit MTU fits: VIRTIO_NET_MAX_FRAME is 65535 + 14 + 1 VLAN. */
	_Static_assert(VIRTIO_NET_MAX_FRAME >= 65535u + ETH_HDR_LEN, "frame bound vs MTU");
	struct virtio_net *n = calloc(1, sizeof(*n));
	if (n != NULL)
		n->rx_elems = calloc(VIRTIO_NET_RX_MAX_BUFS, sizeof(*n->rx_elems));
	if (n == NULL || n->rx_elems == NULL) {
		free(n);
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "virtio-net");
		return NULL;
	}
	n->p = *p;
	if (n->p.mtu == 0)
		n->p.mtu = NET_DEFAULT_MTU;
	pthread_mutex_init(&n->rx_lock, NULL);
	pthread_mutex_init(&n->tx_lock, NULL);
	return n;
}

void virtio_net_get_stats(struct virtio_dev *d, struct virtio_net_stats *s)
{
	struct virtio_net *n = virtio_dev_priv(d);
	pthread_mutex_lock(&n->rx_lock);
	s->rx_frames = n->rx_frames;
	s->rx_bytes = n->rx_bytes;
	s->rx_dropped = n->rx_dropped;
	pthread_mutex_unlock(&n->rx_lock);
	pthread_mutex_lock(&n->tx_lock);
	s->tx_frames = n->tx_frames;
	s->tx_bytes = n->tx_bytes;
	s->tx_dropped = n->tx_dropped;
	pthread_mutex_unlock(&n->tx_lock);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* The libslirp backend without a guest: the address rule, port forwards
 * (a busy host port is a clear error), the local-only filter, and a real
 * round trip through libslirp on the network thread (ARP for the gateway). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "net/slirp_backend.h"
#include "util/error.h"
#include "util/fd_quota.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static const uint8_t guest_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

struct sink {
	pthread_mutex_t lock;
	int frames;
	bool refuse; /* the guest has no rx buffers */
	int refused;
	uint8_t last[1514];
	size_t last_len;
};

static int sink_deliver(void *ctx, const void *frame, size_t len)
{
	struct sink *s = ctx;
	pthread_mutex_lock(&s->lock);
	if (s->refuse) {
		s->refused++;
		pthread_mutex_unlock(&s->lock);
		return -1;
	}
	s->frames++;
	s->last_len = len < sizeof(s->last) ? len : sizeof(s->last);
	memcpy(s->last, frame, s->last_len);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static void addrs_default(void **state)
{
	struct slirp_net_addrs a;
	assert_int_equal(slirp_net_addrs_for(0, &a, NULL), 0);
	assert_int_equal(a.network, IP(10, 0, 2, 0));
	assert_int_equal(a.netmask, IP(255, 255, 255, 0));
	assert_int_equal(a.guest, IP(10, 0, 2, 15));
	assert_int_equal(a.gateway, IP(10, 0, 2, 2));
	assert_int_equal(a.dns, IP(10, 0, 2, 3));
}

static void addrs_assigned(void **state)
{
	struct slirp_net_addrs a;
	assert_int_equal(slirp_net_addrs_for(IP(192, 168, 50, 10), &a, NULL), 0);
	assert_int_equal(a.network, IP(192, 168, 50, 0));
	assert_int_equal(a.guest, IP(192, 168, 50, 10));
	assert_int_equal(a.gateway, IP(192, 168, 50, 2));
	assert_int_equal(a.dns, IP(192, 168, 50, 3));
	/* collisions move the gateway / the DNS address */
	assert_int_equal(slirp_net_addrs_for(IP(172, 16, 0, 2), &a, NULL), 0);
	assert_int_equal(a.gateway, IP(172, 16, 0, 1));
	assert_int_equal(a.dns, IP(172, 16, 0, 3));
	assert_int_equal(slirp_net_addrs_for(IP(172, 16, 0, 3), &a, NULL), 0);
	assert_int_equal(a.gateway, IP(172, 16, 0, 2));
	assert_int_equal(a.dns, IP(172, 16, 0, 4));
	assert_int_equal(slirp_net_addrs_for(IP(172, 16, 0, 1), &a, NULL), 0);
	assert_int_equal(a.gateway, IP(172, 16, 0, 2));
}

static void addrs_reject_network_and_broadcast(void **state)
{
	struct slirp_net_addrs a;
	mvm_error *err = NULL;
	assert_int_equal(slirp_net_addrs_for(IP(192, 168, 50, 0), &a, &err), -1);
	assert_non_null(strstr(mvm_error_get_message(err), "192.168.50.0"));
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(slirp_net_addrs_for(IP(192, 168, 50, 255), &a, &err), -1);
	assert_non_null(strstr(mvm_error_get_message(err), "1..254"));
	mvm_error_free(err);
}

/* A port that was free a moment ago. */
static uint16_t free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	socklen_t l = sizeof(sa);
	getsockname(s, (struct sockaddr *)&sa, &l);
	close(s);
	return ntohs(sa.sin_port);
}

static struct slirp_backend *new_backend(struct sink *s, bool local_only)
{
	struct slirp_backend_config c = {.local_only = local_only,
					 .deliver = s ? sink_deliver : NULL,
					 .device_ctx = s};
	mvm_error *err = NULL;
	struct slirp_backend *b = slirp_backend_new(&c, &err);
	if (b == NULL)
		fail_msg("slirp_backend_new: %s", mvm_error_get_message(err));
	return b;
}

static void hostfwd_listens_and_busy_port_fails(void **state)
{
	struct sink s = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct slirp_backend *b = new_backend(&s, true);
	uint16_t port = free_port();
	mvm_error *err = NULL;
	assert_int_equal(slirp_backend_add_hostfwd(b, false, NULL, port, 80, &err), 0);

	/* The host can connect: slirp really listens on 127.0.0.1:port. */
	int c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(c);

	assert_int_equal(slirp_backend_add_hostfwd(b, false, "127.0.0.1", port, 81, &err), -1);
	char want[64];
	snprintf(want, sizeof(want), "host port %u on 127.0.0.1 is already in use", port);
	assert_non_null(strstr(mvm_error_get_message(err), want));
	mvm_error_free(err);
	slirp_backend_free(b);
}

static void hostfwd_port_held_by_another_program_fails(void **state)
{
	struct sink s = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct slirp_backend *b = new_backend(&s, true);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 1), 0);
	socklen_t len = sizeof(sa);
	getsockname(l, (struct sockaddr *)&sa, &len);
	mvm_error *err = NULL;
	assert_int_equal(slirp_backend_add_hostfwd(b, false, NULL, ntohs(sa.sin_port), 80, &err),
			 -1);
	assert_non_null(strstr(mvm_error_get_message(err), "already in use"));
	mvm_error_free(err);
	close(l);
	slirp_backend_free(b);
}

static void hostfwd_bad_arguments(void **state)
{
	struct sink s = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct slirp_backend *b = new_backend(&s, false);
	mvm_error *err = NULL;
	assert_int_equal(slirp_backend_add_hostfwd(b, false, "127.0.0.256", 8080, 80, &err), -1);
	assert_non_null(strstr(mvm_error_get_message(err), "bind address"));
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(slirp_backend_add_hostfwd(b, true, NULL, 0, 80, &err), -1);
	assert_non_null(strstr(mvm_error_get_message(err), "1..65535"));
	mvm_error_free(err);
	slirp_backend_free(b);
}

/* An Ethernet frame from the guest: ARP "who has tpa? tell 10.0.2.15". */
static size_t arp_request(uint8_t *f, uint32_t tpa)
{
	memset(f, 0, 60);
	memset(f, 0xff, 6);
	memcpy(f + 6, guest_mac, 6);
	f[12] = 0x08, f[13] = 0x06;
	uint8_t *a = f + 14;
	a[1] = 1;		/* Ethernet */
	a[2] = 0x08, a[3] = 0; /* IPv4 */
	a[4] = 6, a[5] = 4, a[7] = 1; /* request */
	memcpy(a + 8, guest_mac, 6);
	uint32_t spa = htonl(IP(10, 0, 2, 15)), t = htonl(tpa);
	memcpy(a + 14, &spa, 4);
	memcpy(a + 24, &t, 4);
	return 60;
}

/* IPv4 header + 8 bytes to dst (content does not matter to the filter). */
static size_t ipv4_frame(uint8_t *f, uint32_t dst, uint8_t proto)
{
	memset(f, 0, 64);
	memcpy(f, "\x52\x55\x0a\x00\x02\x02", 6);
	memcpy(f + 6, guest_mac, 6);
	f[12] = 0x08;
	f[14] = 0x45;
	f[17] = 28;
	f[22] = 64;
	f[23] = proto;
	uint32_t s = htonl(IP(10, 0, 2, 15)), d = htonl(dst);
	memcpy(f + 26, &s, 4);
	memcpy(f + 30, &d, 4);
	return 64;
}

static struct slirp_backend_stats bstats(struct slirp_backend *b)
{
	struct slirp_backend_stats st;
	slirp_backend_get_stats(b, &st);
	return st;
}

static bool wait_frames(struct sink *s, int n)
{
	for (int i = 0; i < 2000; i++) {
		pthread_mutex_lock(&s->lock);
		int got = s->frames;
		pthread_mutex_unlock(&s->lock);
		if (got >= n)
			return true;
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	return false;
}

/* At the process's fd budget, frames after which libslirp would open a host
 * socket are dropped (counted as filtered); the rest still pass. */
static void socket_frames_refused_at_fd_budget(void **state)
{
	struct slirp_backend *b = new_backend(NULL, true);
	struct fd_quota hog;
	fd_quota_init(&hog, 0, 0);
	uint8_t udp[64], syn[64], ack[64], arp[64], dhcp[64];
	struct iovec u = {udp, ipv4_frame(udp, IP(10, 0, 2, 2), 17)};
	struct iovec s = {syn, ipv4_frame(syn, IP(10, 0, 2, 2), 6)};
	struct iovec a = {ack, ipv4_frame(ack, IP(10, 0, 2, 2), 6)};
	struct iovec r = {arp, arp_request(arp, IP(10, 0, 2, 2))};
	struct iovec d = {dhcp, ipv4_frame(dhcp, IP(255, 255, 255, 255), 17)};
	syn[14 + 20 + 13] = 0x02; /* SYN */
	ack[14 + 20 + 13] = 0x12; /* SYN+ACK: no new connection */
	dhcp[14 + 20 + 3] = 67;	  /* to the DHCP server */
	slirp_backend_send(b, &u, 1);
	slirp_backend_send(b, &s, 1);
	assert_int_equal(bstats(b).filtered, 0);
	fd_quota_set_held(&hog, FD_SOCKET, fd_quota_process_budget());
	slirp_backend_send(b, &u, 1);
	slirp_backend_send(b, &s, 1);
	assert_int_equal(bstats(b).filtered, 2);
	slirp_backend_send(b, &a, 1);
	slirp_backend_send(b, &r, 1);
	slirp_backend_send(b, &d, 1);
	assert_int_equal(bstats(b).filtered, 2);
	fd_quota_set_held(&hog, FD_SOCKET, 0);
	slirp_backend_send(b, &u, 1);
	slirp_backend_send(b, &s, 1);
	assert_int_equal(bstats(b).filtered, 2);
	slirp_backend_free(b);
}

static void gateway_answers_arp_through_running_thread(void **state)
{
	struct sink s = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct slirp_backend *b = new_backend(NULL, true);
	slirp_backend_attach(b, sink_deliver, NULL, &s); /* device created later */
	assert_int_equal(slirp_backend_start(b, NULL), 0);
	uint8_t f[64];
	size_t n = arp_request(f, IP(10, 0, 2, 2));
	struct iovec iov = {f, n};
	slirp_backend_send(b, &iov, 1);
	assert_true(wait_frames(&s, 1));
	pthread_mutex_lock(&s.lock);
	assert_true(s.last_len >= 42);
	assert_memory_equal(s.last, guest_mac, 6);	     /* to the guest */
	assert_int_equal(s.last[12] << 8 | s.last[13], 0x0806); /* ARP */
	assert_int_equal(s.last[21], 2);			     /* reply */
	uint32_t spa;
	memcpy(&spa, s.last + 28, 4);
	assert_int_equal(ntohl(spa), IP(10, 0, 2, 2));
	pthread_mutex_unlock(&s.lock);
	assert_int_equal(bstats(b).filtered, 0);
	slirp_backend_free(b);
}

/* The device's transmit callback runs on the network thread after a
 * kick, without the backend's lock: slirp_backend_send() from inside it
 * must neither deadlock nor be lost. */
struct tx_device {
	struct sink sink;
	struct slirp_backend *b;
	int calls;
	bool sent;
};

static int tx_device_deliver(void *ctx, const void *frame, size_t len)
{
	struct tx_device *d = ctx;
	return sink_deliver(&d->sink, frame, len);
}

static unsigned tx_device_transmit(void *ctx)
{
	struct tx_device *d = ctx;
	__atomic_add_fetch(&d->calls, 1, __ATOMIC_SEQ_CST);
	if (d->sent)
		return 0;
	uint8_t f[64];
	size_t n = arp_request(f, IP(10, 0, 2, 2));
	struct iovec iov = {f, n};
	slirp_backend_send(d->b, &iov, 1);
	d->sent = true;
	return 1;
}

static void kick_transmits_on_the_network_thread(void **state)
{
	struct tx_device d = {.sink = {.lock = PTHREAD_MUTEX_INITIALIZER}};
	d.b = new_backend(NULL, true);
	slirp_backend_attach(d.b, tx_device_deliver, tx_device_transmit, &d);
	assert_int_equal(slirp_backend_start(d.b, NULL), 0);
	assert_int_equal(__atomic_load_n(&d.calls, __ATOMIC_SEQ_CST), 0); /* no kick yet */
	slirp_backend_wake(d.b);
	assert_true(wait_frames(&d.sink, 1)); /* the ARP reply to the transmitted request */
	assert_true(__atomic_load_n(&d.calls, __ATOMIC_SEQ_CST) >= 1);
	slirp_backend_free(d.b);
}

static void frames_wait_for_guest_buffers(void **state)
{
	struct sink s = {.lock = PTHREAD_MUTEX_INITIALIZER, .refuse = true};
	struct slirp_backend *b = new_backend(&s, true);
	assert_int_equal(slirp_backend_start(b, NULL), 0);
	uint8_t f[64];
	struct iovec iov = {f, arp_request(f, IP(10, 0, 2, 2))};
	slirp_backend_send(b, &iov, 1);
	for (int i = 0; i < 2000 && bstats(b).pending_bytes == 0; i++) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	assert_true(bstats(b).pending_bytes >= 42);
	pthread_mutex_lock(&s.lock);
	assert_int_equal(s.frames, 0);
	assert_true(s.refused >= 1);
	s.refuse = false; /* the guest adds buffers and kicks */
	pthread_mutex_unlock(&s.lock);
	slirp_backend_wake(b);
	assert_true(wait_frames(&s, 1));
	pthread_mutex_lock(&s.lock);
	assert_int_equal(s.last[21], 2); /* the queued ARP reply */
	pthread_mutex_unlock(&s.lock);
	for (int i = 0; i < 2000 && bstats(b).pending_bytes != 0; i++) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	assert_int_equal(bstats(b).pending_bytes, 0);
	assert_int_equal(bstats(b).rx_dropped, 0);
	slirp_backend_free(b);
}

static void local_only_filters_everything_but_the_gateway(void **state)
{
	struct sink s = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct slirp_backend *b = new_backend(&s, true);
	uint8_t f[64];
	struct iovec iov = {f, 0};
	iov.iov_len = ipv4_frame(f, IP(192, 0, 2, 1), 6); /* TEST-NET: never sent */
	slirp_backend_send(b, &iov, 1);
	assert_int_equal(bstats(b).filtered, 1);
	iov.iov_len = ipv4_frame(f, IP(10, 0, 2, 3), 17); /* DNS: not in local-only */
	slirp_backend_send(b, &iov, 1);
	assert_int_equal(bstats(b).filtered, 2);
	iov.iov_len = 10; /* runt */
	slirp_backend_send(b, &iov, 1);
	assert_int_equal(bstats(b).filtered, 3);
	f[12] = 0x86, f[13] = 0xdd; /* IPv6 */
	iov.iov_len = 64;
	slirp_backend_send(b, &iov, 1);
	assert_int_equal(bstats(b).filtered, 4);
	iov.iov_len = ipv4_frame(f, IP(10, 0, 2, 2), 1); /* gateway: allowed */
	slirp_backend_send(b, &iov, 1);
	iov.iov_len = arp_request(f, IP(10, 0, 2, 2));
	slirp_backend_send(b, &iov, 1);
	assert_int_equal(bstats(b).filtered, 4);
	slirp_backend_free(b);
}

static void open_mode_does_not_filter(void **state)
{
	struct sink s = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct slirp_backend *b = new_backend(&s, false);
	uint8_t f[64];
	/* A frame with a wrong checksum: slirp drops it, nothing leaves. */
	struct iovec iov = {f, ipv4_frame(f, IP(192, 0, 2, 1), 6)};
	slirp_backend_send(b, &iov, 1);
	assert_int_equal(bstats(b).filtered, 0);
	slirp_backend_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(addrs_default),
	    cmocka_unit_test(kick_transmits_on_the_network_thread),
	    cmocka_unit_test(addrs_assigned),
	    cmocka_unit_test(addrs_reject_network_and_broadcast),
	    cmocka_unit_test(hostfwd_listens_and_busy_port_fails),
	    cmocka_unit_test(hostfwd_port_held_by_another_program_fails),
	    cmocka_unit_test(hostfwd_bad_arguments),
	    cmocka_unit_test(gateway_answers_arp_through_running_thread),
	    cmocka_unit_test(frames_wait_for_guest_buffers),
	    cmocka_unit_test(local_only_filters_everything_but_the_gateway),
	    cmocka_unit_test(socket_frames_refused_at_fd_budget),
	    cmocka_unit_test(open_mode_does_not_filter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

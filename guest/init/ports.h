/* SPDX-License-Identifier: Apache-2.0 */
/* The ports the guest listens on, reported to the host over hvc2 as they
 * come and go (MVM_CFG_PUBLISH, MVM_CTRL_PORT), so that the host can
 * forward them (docs/net.md, "Learned ports"). The guest kernel offers no
 * event for a new listener short of eBPF, so this reads /proc/net on a
 * timer, as container tools' guest agents do. */
#ifndef MVM_INIT_PORTS_H
#define MVM_INIT_PORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PORTS_SCAN_MS 200
#define PORTS_BITMAP_BYTES (65536 / 8)

/* Marks in bitmap every port that one /proc/net/{tcp,tcp6,udp,udp6} text
 * lists as reachable from outside the guest: TCP in LISTEN, or (udp) a
 * bound, unconnected UDP socket below udp_limit (the guest's ephemeral
 * range, where clients' sockets live); on a wildcard or a non-loopback
 * address. Lines it cannot read are skipped. */
void ports_parse_proc(const char *text, bool udp, uint16_t udp_limit, uint8_t *bitmap);

/* One change for the host: "P+T8080\n". Returns its length (< 16). */
size_t ports_format(char *buf, bool add, bool udp, uint16_t port);

struct port_watch;
/* Scans now and then every PORTS_SCAN_MS, writing changes to ctrl_fd.
 * NULL (errno set) when the timer cannot be made. */
struct port_watch *port_watch_new(int ctrl_fd);
/* The timer's fd: poll it for POLLIN, then call port_watch_tick(). */
int port_watch_fd(const struct port_watch *w);
void port_watch_tick(struct port_watch *w);
void port_watch_free(struct port_watch *w);

#endif

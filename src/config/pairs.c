/* SPDX-License-Identifier: Apache-2.0 */
/* The "host:guest" and "KEY=VALUE" string forms, with the reference's
 * splitting rules (SEMANTICS.md, "Parsing rules of the reference"). */
#include "config/ipv4.h"
#include "config/number.h"
#include "config/port_spec.h"
#include "util/cleanup.h"
#include "util/error.h"

#include <errno.h>
#include <string.h>

/* Splits s at its FIRST `sep`. Without `sep`, both sides are all of s, as
 * the reference does for "3000" and "/shared". Returns false when a side
 * would be empty. */
static bool split_pair(const char *s, char sep, const char **left, size_t *left_len,
		       const char **right, size_t *right_len)
{
	const char *at = strchr(s, sep);
	*left = s;
	*left_len = at ? (size_t)(at - s) : strlen(s);
	*right = at ? at + 1 : s;
	*right_len = strlen(*right);
	return *left_len > 0 && *right_len > 0;
}

int mvm_path_pair_parse(const char *s, mvm_path_pair *out, mvm_error **err)
{
	if (s == NULL || *s == '\0')
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "invalid mapped dir ``: expected HOST:GUEST or PATH");
	const char *host, *guest;
	size_t host_len, guest_len;
	if (!split_pair(s, ':', &host, &host_len, &guest, &guest_len))
		return mvm_err(
		    err, MVM_ERR_INVALID, 0,
		    "invalid mapped dir `%s`: the %s path is empty (expected HOST:GUEST)", s,
		    host_len == 0 ? "host" : "guest");
	cleanup_free char *h = strndup(host, host_len);
	cleanup_free char *g = strndup(guest, guest_len);
	if (h == NULL || g == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot store mapped dir `%s`", s);
	out->host = steal_pointer(&h);
	out->guest = steal_pointer(&g);
	return 0;
}

void mvm_path_pair_clear(mvm_path_pair *p)
{
	if (p == NULL)
		return;
	free(p->host);
	free(p->guest);
	p->host = p->guest = NULL;
}

/* Port 0 means "any port" to the host's bind(): as a fixed mapping it is a
 * mistake, so mvm refuses it where the reference accepts it. */
static bool parse_port(const char *s, size_t len, uint16_t *out)
{
	uint64_t v;
	if (!parse_decimal(s, len, UINT16_MAX, &v) || v == 0)
		return false;
	*out = (uint16_t)v;
	return true;
}

int mvm_port_pair_parse(const char *s, mvm_port_pair *out, mvm_error **err)
{
	if (s == NULL || *s == '\0')
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "invalid port mapping ``: expected HOST:GUEST or PORT");
	const char *host, *guest;
	size_t host_len, guest_len;
	if (!split_pair(s, ':', &host, &host_len, &guest, &guest_len))
		return mvm_err(
		    err, MVM_ERR_INVALID, 0,
		    "invalid port mapping `%s`: the %s port is empty (expected HOST:GUEST)", s,
		    host_len == 0 ? "host" : "guest");
	mvm_port_pair p = {.bind_ip = PORT_SPEC_DEFAULT_BIND};
	if (!parse_port(host, host_len, &p.host))
		return mvm_err(
		    err, MVM_ERR_INVALID, 0,
		    "invalid port mapping `%s`: host port `%.*s` is not a number in 1..65535", s,
		    (int)host_len, host);
	if (!parse_port(guest, guest_len, &p.guest))
		return mvm_err(
		    err, MVM_ERR_INVALID, 0,
		    "invalid port mapping `%s`: guest port `%.*s` is not a number in 1..65535", s,
		    (int)guest_len, guest);
	*out = p;
	return 0;
}

int net_port_spec_parse(const char *s, struct net_port_spec *out, mvm_error **err)
{
	if (s == NULL || *s == '\0')
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "invalid port mapping ``: expected [IP:]HOST:GUEST[/udp]");
	size_t len = strlen(s);
	bool udp = false;
	const char *slash = strchr(s, '/');
	if (slash != NULL) {
		if (strcmp(slash + 1, "udp") == 0)
			udp = true;
		else if (strcmp(slash + 1, "tcp") != 0)
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "invalid port mapping `%s`: protocol `%s` is not tcp or udp",
				       s, slash + 1);
		len = (size_t)(slash - s);
	}
	cleanup_free char *body = strndup(s, len);
	if (body == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot store port mapping `%s`", s);
	uint32_t ip = PORT_SPEC_DEFAULT_BIND;
	const char *ports = body;
	char *first = strchr(body, ':');
	/* Two colons: the first field is the bind address (docker -p IP:H:G). */
	if (first != NULL && strchr(first + 1, ':') != NULL) {
		*first = '\0';
		if (ipv4_parse(body, &ip, NULL) < 0)
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "invalid port mapping `%s`: bind address `%s` is not a dotted "
				       "IPv4 address",
				       s, body);
		ports = first + 1;
	}
	mvm_port_pair p;
	if (mvm_port_pair_parse(ports, &p, err) < 0)
		return mvm_err_wrap(err, "in `%s`", s);
	*out = (struct net_port_spec){.bind_ip = ip, .host = p.host, .guest = p.guest, .udp = udp};
	return 0;
}

int mvm_env_pair_parse(const char *s, mvm_env_pair *out, mvm_error **err)
{
	if (s == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0, "invalid env: NULL (expected KEY=VALUE)");
	const char *eq = strchr(s, '=');
	if (eq == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "invalid env `%s`: no `=` (expected KEY=VALUE)", s);
	if (eq == s)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "invalid env `%s`: the key is empty (expected KEY=VALUE)", s);
	/* Split at the first `=`: "A=b=c" is key A, value "b=c"; "KEY=" is an
	 * empty value. */
	cleanup_free char *k = strndup(s, (size_t)(eq - s));
	cleanup_free char *v = strdup(eq + 1);
	if (k == NULL || v == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot store env `%s`", s);
	out->key = steal_pointer(&k);
	out->value = steal_pointer(&v);
	return 0;
}

void mvm_env_pair_clear(mvm_env_pair *p)
{
	if (p == NULL)
		return;
	free(p->key);
	free(p->value);
	p->key = p->value = NULL;
}

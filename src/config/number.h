/* SPDX-License-Identifier: Apache-2.0 */
/* Strict decimal numbers for the settings' string forms. */
#ifndef MVM_CONFIG_NUMBER_H
#define MVM_CONFIG_NUMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses the first len bytes of s as a decimal number <= max. Only the
 * digits 0-9 are accepted: no sign, no blanks, no base prefix, not empty.
 * This is why "+80" is refused although Rust's u16::from_str takes it. */
bool parse_decimal(const char *s, size_t len, uint64_t max, uint64_t *out);

#endif

# mvm: a microVM runtime. `make` builds the library, the CLI and examples;
# `make check` runs the unit and CLI tests under ASan+UBSan.
# Module-specific targets (kernel, rootfs, init, check-vm, bench) live in
# mk/*.mk so that each part of the tree owns its own build rules.

PREFIX ?= /usr/local
CC ?= cc
BUILD ?= build

# Library sources: everything under src/. Adding a file needs no edit here.
LIB_SRCS := $(sort $(shell find src -name '*.c'))
# The CLI is two binaries (README.md, "Two binaries"): mvm-core, all of
# it, and mvm, the light front users run, which serves the sandbox
# commands itself and hands the rest to mvm-core.
CLI_SRCS := $(sort $(filter-out cli/front.c,$(wildcard cli/*.c)))
FRONT_SRCS := cli/front.c cli/common.c cli/exec.c cli/help.c cli/report.c cli/sandbox.c \
	      cli/stats.c cli/terminal.c
EXAMPLE_SRCS := $(sort $(wildcard examples/*.c))
UNIT_TEST_SRCS := $(sort $(wildcard tests/unit/test_*.c))

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
BASE_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -Iinclude -Isrc -I. -pthread
CFLAGS ?= -O2 -g
ALL_CFLAGS := $(BASE_CFLAGS) $(CFLAGS) -fPIC -fvisibility=hidden -DMVM_BUILDING_LIB
LDLIBS_LIB := -pthread
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
SAN_LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/san/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
SAN_CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/san/%.o)
FRONT_OBJS := $(FRONT_SRCS:%.c=$(BUILD)/obj/%.o)
# mvm-runtime, the OCI front end (oci/, docs/oci.md).
OCI_SRCS := $(sort $(wildcard oci/*.c))
OCI_OBJS := $(OCI_SRCS:%.c=$(BUILD)/obj/%.o)
SAN_OCI_OBJS := $(OCI_SRCS:%.c=$(BUILD)/san/%.o)
SAN_FRONT_OBJS := $(FRONT_SRCS:%.c=$(BUILD)/san/%.o)
EXAMPLES := $(EXAMPLE_SRCS:examples/%.c=$(BUILD)/examples/%)
UNIT_TESTS := $(UNIT_TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

# Extra objects a module adds to the library (e.g. the embedded mvm-init).
LIB_EXTRA_OBJS ?=
SAN_LIB_EXTRA_OBJS ?=

.PHONY: all lib cli examples check check-unit check-cli install uninstall clean format
all: lib cli examples

-include mk/*.mk

lib: $(BUILD)/libmvm.a $(BUILD)/libmvm.so $(BUILD)/mvm.pc
cli: $(BUILD)/mvm $(BUILD)/mvm-core $(BUILD)/mvm-san $(BUILD)/mvm-core-san \
     $(BUILD)/mvm-runtime $(BUILD)/mvm-runtime-san
examples: $(EXAMPLES)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -fPIC -MMD -MP -c $< -o $@

$(BUILD)/libmvm.a: $(LIB_OBJS) $(LIB_EXTRA_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/libmvm-san.a: $(SAN_LIB_OBJS) $(SAN_LIB_EXTRA_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/libmvm.so: $(LIB_OBJS) $(LIB_EXTRA_OBJS)
	$(CC) -shared -Wl,-soname,libmvm.so.0 -Wl,-z,defs -o $@ $^ $(LDLIBS_LIB) $(LDLIBS_EXTRA)

# The .pc file names PREFIX, so install writes it again for the PREFIX it is given.
MAKE_PC = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(shell sed -n 's/\#define MVM_VERSION "\(.*\)"/\1/p' include/mvm.h)|g' \
	    -e 's|@LIBS_PRIVATE@|$(LDLIBS_LIB) $(LDLIBS_EXTRA)|g'

$(BUILD)/mvm.pc: mvm.pc.in Makefile
	$(MAKE_PC) $< > $@

# Static and with no library but libc: the front starts without the
# dynamic loader (84 against 122 ms under TCG, where /bin/true takes 112),
# and a change that makes it need the VMM's libraries fails to link here.
$(BUILD)/mvm: $(FRONT_OBJS) $(BUILD)/libmvm.a | $(BUILD)/mvm-core
	$(CC) $(CFLAGS) -static -o $@ $(FRONT_OBJS) $(BUILD)/libmvm.a $(LDLIBS_LIB)

$(BUILD)/mvm-core: $(CLI_OBJS) $(BUILD)/libmvm.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/libmvm.a $(LDLIBS_LIB) $(LDLIBS_EXTRA)

# The CLI again, under the sanitizers, for the CLI tests.
$(BUILD)/mvm-san: $(SAN_FRONT_OBJS) $(BUILD)/libmvm-san.a | $(BUILD)/mvm-core-san
	$(CC) $(SAN_FLAGS) -o $@ $(SAN_FRONT_OBJS) $(BUILD)/libmvm-san.a $(LDLIBS_LIB)

$(BUILD)/mvm-runtime: $(OCI_OBJS) $(BUILD)/libmvm.a
	$(CC) $(CFLAGS) -o $@ $(OCI_OBJS) $(BUILD)/libmvm.a $(LDLIBS_LIB) $(LDLIBS_EXTRA)

$(BUILD)/mvm-runtime-san: $(SAN_OCI_OBJS) $(BUILD)/libmvm-san.a
	$(CC) $(SAN_FLAGS) -o $@ $(SAN_OCI_OBJS) $(BUILD)/libmvm-san.a $(LDLIBS_LIB) $(LDLIBS_EXTRA)

$(BUILD)/mvm-core-san: $(SAN_CLI_OBJS) $(BUILD)/libmvm-san.a
	$(CC) $(SAN_FLAGS) -o $@ $(SAN_CLI_OBJS) $(BUILD)/libmvm-san.a $(LDLIBS_LIB) $(LDLIBS_EXTRA)

$(BUILD)/examples/%: $(BUILD)/san/examples/%.o $(BUILD)/libmvm-san.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $< $(BUILD)/libmvm-san.a $(LDLIBS_LIB) $(LDLIBS_EXTRA)

# Unit tests link the sanitized library objects directly, so they can test
# internal (hidden) functions too.
$(BUILD)/tests/%: $(BUILD)/san/tests/unit/%.o $(BUILD)/libmvm-san.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $< $(BUILD)/libmvm-san.a -lcmocka $(LDLIBS_LIB) $(LDLIBS_EXTRA)

# Keep the objects of tests and examples: otherwise make deletes them as
# intermediates (and rebuilds them next time) after the summary line.
.SECONDARY: $(UNIT_TEST_SRCS:%.c=$(BUILD)/san/%.o) $(EXAMPLE_SRCS:%.c=$(BUILD)/san/%.o)

check: check-unit check-cli
	@scripts/test-summary unit cli

check-unit: $(UNIT_TESTS) $(EXAMPLES)
	@scripts/run-unit-tests $(UNIT_TESTS)

# The image tests build their test image from the default root.
check-cli: $(BUILD)/mvm-san $(EXAMPLES) $(FLAKYPROXY) rootfs
	@MVM=$(BUILD)/mvm-san BUILD=$(BUILD) tests/cli/run

install: all
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(PREFIX)/libexec/mvm
	install -m 644 include/mvm.h $(DESTDIR)$(PREFIX)/include/mvm.h
	install -m 644 $(BUILD)/libmvm.a $(DESTDIR)$(PREFIX)/lib/libmvm.a
	install -m 755 $(BUILD)/libmvm.so $(DESTDIR)$(PREFIX)/lib/libmvm.so.0
	ln -sf libmvm.so.0 $(DESTDIR)$(PREFIX)/lib/libmvm.so
	$(MAKE_PC) mvm.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/mvm.pc
	install -m 755 $(BUILD)/mvm $(DESTDIR)$(PREFIX)/bin/mvm
	install -m 755 $(BUILD)/mvm-core $(DESTDIR)$(PREFIX)/libexec/mvm/mvm-core
	install -m 755 $(BUILD)/mvm-runtime $(DESTDIR)$(PREFIX)/bin/mvm-runtime

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/include/mvm.h $(DESTDIR)$(PREFIX)/lib/libmvm.a \
	      $(DESTDIR)$(PREFIX)/lib/libmvm.so $(DESTDIR)$(PREFIX)/lib/libmvm.so.0 \
	      $(DESTDIR)$(PREFIX)/lib/pkgconfig/mvm.pc $(DESTDIR)$(PREFIX)/bin/mvm \
	      $(DESTDIR)$(PREFIX)/libexec/mvm/mvm-core $(DESTDIR)$(PREFIX)/bin/mvm-runtime
	-rmdir $(DESTDIR)$(PREFIX)/libexec/mvm

format:
	clang-format -i $$(find include src cli oci guest tests examples fuzz -name '*.[ch]')

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# libFuzzer targets (fuzz/fuzz_<name>.c, docs/fuzzing.md). `make fuzz`
# builds them into build/fuzz/; `make fuzz FUZZ_SECONDS=N` also runs each
# for N seconds (scripts/run-fuzz). `make check-fuzz` (part of `make test`)
# always runs them, FUZZ_SECONDS (default 60) each.
#
# libFuzzer needs clang, so the library, the host parts of mvm-init and the
# CLI's option parser are compiled again with clang and the fuzzer's
# instrumentation into build/fuzzobj/, apart from the gcc objects.
FUZZ_CC ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# Warnings are gcc's (the tree is kept clean for gcc); these three are
# clang's alone and fire on idioms gcc accepts: KVM's variable-sized
# headers, MVM_CFG_PATH + 1, and a vsnprintf wrapper.
FUZZ_CFLAGS := $(BASE_CFLAGS) -O1 -g $(FUZZ_SAN) -Wno-gnu-variable-sized-type-not-at-end \
	       -Wno-string-plus-int -Wno-format-nonliteral
FUZZ_SECONDS ?=

FUZZ_SRCS := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_NAMES := $(FUZZ_SRCS:fuzz/fuzz_%.c=%)
FUZZ_BINS := $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)
# Everything a target may need; the archive lets each link only what it uses.
# init_embed.c is left out: its blob is the static mvm-init, which no target
# needs, and building it would drag musl into `make fuzz`.
# Recursive (=) and expanded a second time in the rule below: mk/init.mk,
# which sets INIT_HOST_SRCS, is read after this file.
FUZZ_LIB_SRCS = $(filter-out src/vmm/init_embed.c,$(LIB_SRCS)) $(INIT_HOST_SRCS) cli/run_options.c \
		oci/spec.c
FUZZ_LIB_OBJS = $(FUZZ_LIB_SRCS:%.c=$(BUILD)/fuzzobj/%.o)
FUZZ_LIB := $(BUILD)/fuzzobj/libmvm-fuzz.a

.PHONY: fuzz check-fuzz
fuzz: $(FUZZ_BINS)
ifneq ($(FUZZ_SECONDS),)
	@BUILD=$(BUILD) scripts/run-fuzz $(FUZZ_SECONDS) $(FUZZ_BINS)
endif

check-fuzz: $(FUZZ_BINS)
	@BUILD=$(BUILD) scripts/run-fuzz $(or $(FUZZ_SECONDS),60) $(FUZZ_BINS)

$(BUILD)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

.SECONDEXPANSION:
$(FUZZ_LIB): $$(FUZZ_LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzzobj/fuzz/fuzz_%.o $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(LDLIBS_LIB) $(LDLIBS_EXTRA)

.SECONDARY: $(FUZZ_SRCS:%.c=$(BUILD)/fuzzobj/%.o)

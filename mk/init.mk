# mvm-init: the guest's PID 1 (guest/init/), built as a static binary and
# embedded into libmvm through src/vmm/init_embed.S (.incbin).

# guest/protocol.h is shared by the host (src/) and mvm-init (guest/):
# both include it as "guest/protocol.h" from the top of the tree.
# (ALL_CFLAGS was expanded from BASE_CFLAGS already, so extend both.)
BASE_CFLAGS += -I.
ALL_CFLAGS += -I.

# musl gives a small static binary (~30 KiB); glibc's static libc works too.
INIT_CC := $(shell command -v musl-gcc >/dev/null 2>&1 && echo musl-gcc || echo $(CC))
INIT_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -I. -Os -static -ffunction-sections -fdata-sections
INIT_LDFLAGS := -static -Wl,--gc-sections -s

INIT_SRCS := $(sort $(wildcard guest/init/*.c))
INIT_OBJS := $(INIT_SRCS:%.c=$(BUILD)/init/%.o)
MVM_INIT := $(BUILD)/mvm-init

# The parts of mvm-init that make sense on the host go into the sanitized
# test library, so unit tests exercise the very code the guest runs. main.c
# (the PID 1 sequence) and report.c (port I/O, power-off) stay guest-only.
INIT_HOST_SRCS := $(filter-out guest/init/main.c guest/init/report.c,$(INIT_SRCS))
SAN_LIB_EXTRA_OBJS += $(INIT_HOST_SRCS:%.c=$(BUILD)/san/%.o)

# Not build/obj/src/vmm/init_embed.o: that is init_embed.c's object.
INIT_EMBED_OBJ := $(BUILD)/embed/init_blob.o
LIB_EXTRA_OBJS += $(INIT_EMBED_OBJ)
SAN_LIB_EXTRA_OBJS += $(INIT_EMBED_OBJ)

.PHONY: init
init: $(MVM_INIT)

$(BUILD)/init/%.o: %.c
	@mkdir -p $(dir $@)
	$(INIT_CC) $(INIT_CFLAGS) -MMD -MP -c $< -o $@

$(MVM_INIT): $(INIT_OBJS)
	$(INIT_CC) $(INIT_CFLAGS) $(INIT_LDFLAGS) -o $@ $^

# One object serves both libraries: it is only data. The path reaches
# .incbin through -D; the object depends on the binary, so a rebuilt
# mvm-init is re-embedded.
$(INIT_EMBED_OBJ): src/vmm/init_embed.S $(MVM_INIT)
	@mkdir -p $(dir $@)
	$(CC) -c -DMVM_INIT_BIN_PATH='"$(MVM_INIT)"' $< -o $@

# SPDX-License-Identifier: Apache-2.0
# runner: booting and running one VM: the run flags and settings, qemu, the
# session and its stdio relay, the terminal. cli/ links it into out/bin/qpod.

RUNNER_SRCS := $(wildcard runner/*.c)
RUNNER_OBJS := $(RUNNER_SRCS:%.c=$(OBJ)/host/%.o)
RUNNER_TEST_SRCS := $(RUNNER_SRCS) bundle/rootfs.c $(PROTO_SRCS) $(LIB_SRCS) $(PACKER_LIB)
RUNNER_TEST_LIBS := -Irunner -Ipacker -Ibundle -DQPOD_VERSION=\"test\" $(PACKER_LDLIBS) -lm

$(OBJ)/host/runner/%.o: HOST_CFLAGS += -Ipacker -Ibundle -DQPOD_VERSION=\"$(QPOD_VERSION)\"

# The defaults, then the arch's part (arch=, machine=, boot=).
$(IMG)/vm.conf: configs/vm.conf configs/arch/$(ARCH)/vm.conf
	@mkdir -p $(@D)
	@cat $^ > $@.tmp && mv $@.tmp $@

IMAGES += $(IMG)/vm.conf

runner: $(RUNNER_OBJS) $(IMG)/vm.conf
.PHONY: runner

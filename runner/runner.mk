# SPDX-License-Identifier: Apache-2.0
# runner: booting and running VMs. cli/ links it into out/bin/qpod.
# The plan of one run (the flags, the image, the launch) is runner/ itself;
# each concern below it is a folder with its own header (runner/runner.h
# names them): vm (qemu and what boots it), session (the protocol
# conversation), detached (run -d: state, monitor, control socket).
# Files include across folders from runner/ ("vm/vm.h"), as packer/'s do.

RUNNER_PARTS := vm session detached
RUNNER_SRCS := $(wildcard runner/*.c) $(foreach p,$(RUNNER_PARTS),$(wildcard runner/$(p)/*.c))
RUNNER_OBJS := $(RUNNER_SRCS:%.c=$(OBJ)/host/%.o)
RUNNER_TEST_SRCS := $(RUNNER_SRCS) $(PROTO_SRCS) $(LIB_SRCS) $(PACKER_LIB)
RUNNER_TEST_LIBS := -Irunner -Ipacker -DQPOD_VERSION=\"test\" $(PACKER_LDLIBS) -lm

$(OBJ)/host/runner/%.o: HOST_CFLAGS += -Irunner -Ipacker -DQPOD_VERSION=\"$(QPOD_VERSION)\"

# The defaults, then the arch's part (arch=, machine=, boot=).
$(IMG)/vm.conf: configs/vm.conf configs/arch/$(ARCH)/vm.conf
	@mkdir -p $(@D)
	@cat $^ > $@.tmp && mv $@.tmp $@

IMAGES += $(IMG)/vm.conf

runner: $(RUNNER_OBJS) $(IMG)/vm.conf
.PHONY: runner

# Builds the bpfpack driver and its unit tests. ./build.sh drives this file;
# `make` alone works once the packages build.sh installs are present.
CC ?= cc
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0-dev)
CFLAGS ?= -O2 -g
WARN := -std=gnu11 -Wall -Wextra -Werror
CPPFLAGS += -D_GNU_SOURCE -Iinclude -DBPFPACK_VERSION='"$(VERSION)"' -MMD -MP
LIBS := -lbpf -lelf -lz -linih -larchive -lzstd -llzma -lxxhash
SANITIZE ?=

# Layers, bottom up. Each folder is an archive; the link lists them top
# down, so a symbol a lower layer takes from a higher one is not found and the
# link fails (tests/layers.sh checks the includes the same way):
#   lib/      the kit: spawn, files, jobs, reporting, JSON, project, toolchain
#   formats/  readers of outside containers: kernel images, .deb, ELF, streams
#   vm/       the VM engine (qemu, kernels, guest rootfs, modules)
#   btfhub/   kernel BTF sources, minimizing, writing sets
#   cmd/      the driver's commands
#   runtime/  apart: what every built tool links (depends on no other layer)
LAYERS := btfhub vm formats lib runtime
LAYER_ARCHIVES := $(LAYERS:%=build/lib%.a)
LIB_SRCS := $(foreach l,$(LAYERS),$(wildcard $(l)/*.c))
CMD_SRCS := $(wildcard cmd/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=build/obj/%.o)
CMD_OBJS := $(CMD_SRCS:%.c=build/obj/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/tests/%)

all: bin/bpfpack

bin/bpfpack: $(CMD_OBJS) $(LAYER_ARCHIVES)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) -o $@.tmp $(CMD_OBJS) $(LAYER_ARCHIVES) $(LIBS) && mv $@.tmp $@

# build/libLAYER.a from the objects of folder LAYER.
define layer_archive
build/lib$(1).a: $$(patsubst %.c,build/obj/%.o,$$(wildcard $(1)/*.c))
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call layer_archive,$(l))))

build/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) $(SANITIZE) $(CPPFLAGS) -c -o $@ $<

build/tests/%: tests/unit/%.c tests/unit/testutil.c $(LAYER_ARCHIVES)
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) $(SANITIZE) $(CPPFLAGS) -Ilib -o $@ $(filter %.c,$^) $(LAYER_ARCHIVES) -lcmocka $(LIBS)

# Fails when a file includes a header of a layer above its own.
check-layers:
	tests/layers.sh

unit: $(UNIT_BINS)

clean:
	rm -rf build bin

.PHONY: all unit clean check-layers
-include $(shell find build/obj build/tests -name '*.d' 2>/dev/null)

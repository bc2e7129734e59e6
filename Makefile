# Builds the bpfpack driver and its unit tests. ./build.sh drives this file;
# `make` alone works once the packages build.sh installs are present.
CC ?= cc
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0-dev)
CFLAGS ?= -O2 -g
WARN := -std=gnu11 -Wall -Wextra -Werror
CPPFLAGS += -D_GNU_SOURCE -Iinclude -DBPFPACK_VERSION='"$(VERSION)"' -MMD -MP
LIBS := -lbpf -lelf -lz -linih -larchive -lzstd -llzma -lxxhash
SANITIZE ?=

# runtime/bpfpack_open.c wraps libbpf's open functions for built tools only
# (it needs the link's --wrap flags): never in the driver.
LIB_SRCS := $(wildcard lib/*.c) $(wildcard btfhub/*.c) \
	    $(filter-out runtime/bpfpack_open.c,$(wildcard runtime/*.c))
CMD_SRCS := $(wildcard cmd/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=build/obj/%.o)
CMD_OBJS := $(CMD_SRCS:%.c=build/obj/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/tests/%)

all: bin/bpfpack

bin/bpfpack: $(CMD_OBJS) $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) -o $@.tmp $^ $(LIBS) && mv $@.tmp $@

build/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) $(SANITIZE) $(CPPFLAGS) -c -o $@ $<

build/tests/%: tests/unit/%.c tests/unit/testutil.c $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) $(SANITIZE) $(CPPFLAGS) -Ilib -o $@ $(filter %.c %.o,$^) -lcmocka $(LIBS)

unit: $(UNIT_BINS)

clean:
	rm -rf build bin

.PHONY: all unit clean
-include $(shell find build/obj build/tests -name '*.d' 2>/dev/null)

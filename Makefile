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
# runtime/bpfpack_open.c wraps libbpf's open functions for built tools only
# (it needs the link's --wrap flags): never in the driver.
NOT_IN_DRIVER := runtime/bpfpack_open.c
layer_srcs = $(filter-out $(NOT_IN_DRIVER),$(wildcard $(1)/*.c))
LIB_SRCS := $(foreach l,$(LAYERS),$(call layer_srcs,$(l)))
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
build/lib$(1).a: $$(patsubst %.c,build/obj/%.o,$$(call layer_srcs,$(1)))
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

# Man pages and bash completion, printed by the driver from its command and
# option tables (cmd/help.c): never written by hand.
man: bin/bpfpack
	rm -rf build/man.tmp && bin/bpfpack __man build/man.tmp && rm -rf build/man && mv build/man.tmp build/man

completion: bin/bpfpack
	@mkdir -p build/completion
	bin/bpfpack __completion >build/completion/bpfpack.tmp && mv build/completion/bpfpack.tmp build/completion/bpfpack

clean:
	rm -rf build bin

# Installing as a program: PREFIX/bin/bpfpack and its data in
# PREFIX/share/bpfpack (the place the driver looks for beside its bin/),
# the man pages and the bash completion. DESTDIR stages the tree (the .deb).
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(DESTDIR)$(PREFIX)/bin
DATADIR = $(DESTDIR)$(PREFIX)/share/bpfpack
MANDIR = $(DESTDIR)$(PREFIX)/share/man/man1
BASHCOMPDIR = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
DATA_PARTS = templates include runtime
# The generated documentation: made by the driver's generators (`bpfpack
# __man`, `bpfpack __completion`); `make install DOCS=` leaves it out.
DOCS ?= man completion

install: bin/bpfpack $(DOCS)
	install -d $(BINDIR) $(DATADIR)
	install -m 0755 bin/bpfpack $(BINDIR)/bpfpack.tmp
	mv $(BINDIR)/bpfpack.tmp $(BINDIR)/bpfpack
	# Replaced whole, so files an older version had do not linger.
	cd $(DATADIR) && rm -rf $(DATA_PARTS)
	cp -R $(DATA_PARTS) $(DATADIR)/
	chmod -R u=rwX,go=rX $(DATADIR)
	if [ -d build/man ]; then install -d $(MANDIR) && install -m 0644 build/man/*.1 $(MANDIR)/; fi
	if [ -f build/completion/bpfpack ]; then \
		install -d $(BASHCOMPDIR) && install -m 0644 build/completion/bpfpack $(BASHCOMPDIR)/bpfpack; fi

# Removes what install put there, and nothing else: the directories
# PREFIX/bin and share/man are left (they are shared).
uninstall:
	rm -f $(BINDIR)/bpfpack $(MANDIR)/bpfpack.1 $(MANDIR)/bpfpack-*.1 $(BASHCOMPDIR)/bpfpack
	rm -rf $(DATADIR)

# build/bpfpack_VERSION_ARCH.deb: what `make install PREFIX=/usr` installs.
deb: bin/bpfpack $(DOCS)
	DOCS="$(DOCS)" packaging/deb.sh

.PHONY: all unit clean check-layers man completion install uninstall deb
-include $(shell find build/obj build/tests -name '*.d' 2>/dev/null)

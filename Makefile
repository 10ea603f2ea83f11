# hamroh — one GNU Makefile.  `make` builds ./hamroh; `make test` runs the
# suite (unit tests and fuzz replays in both builds, CLI and agent tests
# under ASan+UBSan); `make test-plain` all of it on the plain build only;
# `make bench` prints the benchmarks.

PKGS	:= libsodium sqlite3 libuv msgpack libzstd libmicrohttpd xlsxwriter
# The version: the file VERSION alone (hamroh --version, the package).
VERSION	:= $(shell cat VERSION)
CC	?= cc
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. -MMD -MP \
	   -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wformat=2 -Wvla -Wimplicit-fallthrough \
	   $(shell pkg-config --cflags $(PKGS))
LDLIBS	+= $(shell pkg-config --libs $(PKGS)) -lm

VARIANT	:= plain
ifneq ($(SAN),)
VARIANT	:= san
CFLAGS	+= -fsanitize=$(SAN) -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS	+= -fsanitize=$(SAN)
endif
B	:= build/$(VARIANT)

ifeq ($(V),)
Q	:= @
E	= @printf '  %-6s %s\n' $(1) $(2);
else
Q	:=
E	=
endif

STORE_SRC	:= $(wildcard store/*.c)
PROTO_SRC	:= $(wildcard protocol/*.c)
AGENT_SRC	:= $(filter-out agent/cli/main.c,$(wildcard agent/*.c agent/*/*.c))
# The web UI's files (agent/ui/assets/), made into C by mkassets.
UI_ASSETS	:= $(sort $(wildcard agent/ui/assets/*.html agent/ui/assets/*.css \
		   agent/ui/assets/*.js))
UI_ASSETS_C	:= build/gen/ui_assets.c
LIB_OBJ		:= $(patsubst %.c,$(B)/%.o,$(STORE_SRC) $(PROTO_SRC) $(AGENT_SRC)) \
		   $(B)/gen/ui_assets.o
MAIN_OBJ	:= $(B)/agent/cli/main.o
UNIT_SRC	:= $(wildcard tests/unit/test_*.c)
UNIT_BIN	:= $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
BENCH_BIN	:= $(B)/bench
HAMROH		:= $(B)/hamroh

include tests/fuzz/Makefile.inc
include agent/ui/lang/Makefile.inc

.DEFAULT_GOAL := all
# Keep objects made only on the way to a test binary.
.SECONDARY:

.PHONY: all test test-plain unit check-layers check-alone bench clean deps \
    demo chaos
all: hamroh

# Install Debian packages first when a needed one is missing.
deps:
	$(Q)pkg-config --exists $(PKGS) cmocka 2>/dev/null && \
	    command -v python3 >/dev/null && command -v curl >/dev/null && \
	    command -v chromium >/dev/null && \
	    command -v lintian >/dev/null && \
	    command -v dpkg-shlibdeps >/dev/null && \
	    command -v shellcheck >/dev/null && command -v man >/dev/null && \
	    [ -d tests/browser/node_modules/playwright-core ] || \
	    ./deploy/install-deps.sh

hamroh: deps check-layers $(HAMROH)
	$(Q)[ "$(VARIANT)" != plain ] || { cp $(HAMROH) hamroh.tmp && mv -f hamroh.tmp hamroh; }

# Only main.c prints the version; it is rebuilt when VERSION changes.
$(MAIN_OBJ): CFLAGS += -DHAMROH_VERSION='"$(VERSION)"'
$(MAIN_OBJ): VERSION

$(HAMROH): $(MAIN_OBJ) $(LIB_OBJ)
	$(call E,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call E,CC,$@)$(CC) $(CFLAGS) -c -o $@ $<

# The assets embedded at build time, the catalogs served as /lang/LANG.json;
# mkassets refuses a page load (its files and one catalog) over 150 KB.
build/gen/mkassets: agent/ui/assets/mkassets.c
	@mkdir -p $(dir $@)
	$(call E,CC,$@)$(CC) -O2 -Wall -Wextra -Werror -o $@ $<

$(UI_ASSETS_C): build/gen/mkassets $(UI_ASSETS) $(UI_LANG_JSON)
	$(call E,GEN,$@)build/gen/mkassets $@ $(UI_ASSETS) --lang $(UI_LANG_JSON)

$(B)/gen/ui_assets.o: $(UI_ASSETS_C)
	@mkdir -p $(dir $@)
	$(call E,CC,$@)$(CC) $(CFLAGS) -c -o $@ $<

$(B)/tests/test_%: $(B)/tests/unit/test_%.o $(LIB_OBJ)
	$(call E,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) \
	    $(shell pkg-config --libs cmocka)

$(B)/tests/unit/%.o: CFLAGS += $(shell pkg-config --cflags cmocka)

$(BENCH_BIN): $(B)/tests/bench/bench.o $(LIB_OBJ)
	$(call E,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/cryptobench: $(B)/tests/bench/cryptobench.o $(LIB_OBJ)
	$(call E,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

TOOLS		:= $(B)/tools/mkcommits $(B)/tools/hostile \
		   $(B)/tools/faultproxy $(B)/tools/zsize $(B)/tools/forge

$(B)/tools/%: $(B)/tests/tools/%.o $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(call E,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

unit: $(UNIT_BIN) $(TOOLS)

# Which folder may include what: the table deploy/layers, checked by
# deploy/check-layers (one line a forbidden #include).
check-layers:
	$(Q)./deploy/check-layers

# A clean clone has nothing beside it: no file may reach for the shared
# folder some machines keep next to the repository, nor name the
# directory the repository sits in.
check-alone:
	@up='$(abspath ..)/'; bad=$$( { git ls-files -z 2>/dev/null || \
	    find . \( -path ./build -o -path ./.git \) -prune -o -type f \
	    -print0; } | xargs -0 grep -lI -e '\.\./shared' \
	    $$([ "$$up" = // ] || echo "-e $$up") -- 2>/dev/null); \
	if [ -n "$$bad" ]; then echo "check-alone: files that reach" \
	    "outside the repository:" $$bad >&2; exit 1; fi

# Builds use every core unless the caller chose with -j.
JOBS	= $(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc 2>/dev/null || \
	  echo 2))

# The suite; ends with "N passed, N failed".  Unit tests and fuzz replays
# run in both builds; CLI and agent tests once, under ASan+UBSan, except
# those marked "# plain:" (what only a plain build shows: a memory bound,
# or a test the sanitized build skips), which the plain pass runs too.
test: deps check-layers check-alone
	$(Q)$(MAKE) --no-print-directory $(JOBS) hamroh unit fuzz-replay
	$(Q)$(MAKE) --no-print-directory $(JOBS) SAN=address,undefined \
	    build/san/hamroh unit fuzz-replay
	$(Q)tests/run.sh build/plain:units build/san

# Every test on the plain build (no sanitizers): unit, fuzz replays, CLI.
test-plain: deps check-layers check-alone
	$(Q)$(MAKE) --no-print-directory $(JOBS) hamroh unit fuzz-replay
	$(Q)tests/run.sh build/plain

# BENCH_ONLY=FIGURE (apply, catchup, ...: tests/bench/README) runs one.
bench: deps
	$(Q)case "$(BENCH_ONLY)" in ""|import|import-cli|apply|apply-conf|\
	    revoke|strangers|apply-cli|add|size|vector|catchup|loop-stall|loop-apply|\
	    search|ui|report) ;; *) echo \
	    "make bench: no figure '$(BENCH_ONLY)'; see tests/bench/README" \
	    >&2; exit 1 ;; esac
	$(Q)$(MAKE) --no-print-directory hamroh $(BENCH_BIN) $(B)/cryptobench \
	    $(B)/tools/faultproxy $(B)/tools/zsize $(B)/tools/mkcommits
	$(Q)$(BENCH_BIN) --hamroh ./hamroh --input build/bench-100k.jsonl
	$(Q)tests/bench/netbench.sh ./hamroh build/bench-100k.jsonl \
	    $(B)/tools/mkcommits
	$(Q)case "$(BENCH_ONLY)" in ""|loop-stall|loop-apply) \
	    tests/bench/loopbench.sh ./hamroh build/bench-100k.jsonl ;; esac
	$(Q)tests/bench/uibench.sh ./hamroh
	$(Q)tests/bench/reportbench.sh ./hamroh build/bench-350k-2025.jsonl
	$(Q)[ -n "$(BENCH_ONLY)" ] || python3 tests/bench/fieldbench.py \
	    --hamroh ./hamroh --proxy $(B)/tools/faultproxy \
	    --zsize $(B)/tools/zsize --input build/bench-100k.jsonl
	$(Q)[ -n "$(BENCH_ONLY)" ] || $(B)/cryptobench

demo: hamroh
	$(Q)./deploy/demo.sh

# The long chaos run: NODES agents behind the fault-injecting proxy for
# MINUTES (or SECONDS) of faults, then heal and check.  SEED replays one.
NODES	?= 12
MINUTES	?= 5
SECONDS	?= $(shell echo $$(($(MINUTES) * 60)))
chaos: hamroh $(B)/tools/faultproxy
	$(Q)python3 tests/chaos/chaos.py --hamroh ./hamroh \
	    --proxy $(B)/tools/faultproxy --nodes $(NODES) \
	    --seconds $(SECONDS) $(if $(SEED),--seed $(SEED))

clean:
	rm -rf build hamroh

# The Debian package build/deb/hamroh_VERSION_ARCH.deb, made with
# dpkg-deb from the plain build (deploy/deb/mkdeb.sh says what comes from
# where), version VERSION-1.  DEB_VERSION packages the same binary under
# another version (the upgrade of test-deb).  `make test-deb` (root only, on a machine to
# spare: it installs, upgrades and purges the package on /) checks the
# maintainer scripts.
DEB_VERSION	?= $(VERSION)-1
DEB_OUT		?= build/deb
.PHONY: deb test-deb
deb: hamroh
	$(Q)deploy/deb/mkdeb.sh build/plain/hamroh $(DEB_VERSION) $(DEB_OUT)

test-deb:
	$(Q)[ "$$(id -u)" -eq 0 ] || { echo "make test-deb: run as root on a" \
	    "machine to spare: it installs and purges the package on /" >&2; \
	    exit 1; }
	$(Q)$(MAKE) --no-print-directory deb
	$(Q)$(MAKE) --no-print-directory deb DEB_VERSION=$(VERSION)-2 \
	    DEB_OUT=build/deb/next
	$(Q)deploy/deb/test-deb.sh build/deb/hamroh_$(VERSION)-1_*.deb \
	    build/deb/next/hamroh_$(VERSION)-2_*.deb

# Install the hamroh already built (INSTALL_BIN, default ./hamroh) and the
# systemd unit with its path filled in.  It never compiles, so it cannot
# disturb a build or test running in this tree: `make && sudo make install`.
# Packagers: make install PREFIX=/usr DESTDIR=pkgroot.
PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
UNITDIR		?= $(PREFIX)/lib/systemd/system
INSTALL_BIN	?= hamroh
.PHONY: install
install:
	$(Q)[ -f "$(INSTALL_BIN)" ] && [ -x "$(INSTALL_BIN)" ] || { echo \
	    "install: no $(INSTALL_BIN) to install; run 'make' first" >&2; \
	    exit 1; }
	$(Q)install -d -m 0755 "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(UNITDIR)"
	$(call E,INSTALL,$(DESTDIR)$(BINDIR)/hamroh)install -m 0755 \
	    "$(INSTALL_BIN)" "$(DESTDIR)$(BINDIR)/hamroh"
	$(call E,INSTALL,$(DESTDIR)$(UNITDIR)/hamroh.service)sed \
	    's|@BINDIR@|$(BINDIR)|g' deploy/hamroh.service \
	    >"$(DESTDIR)$(UNITDIR)/hamroh.service.tmp" && \
	    chmod 0644 "$(DESTDIR)$(UNITDIR)/hamroh.service.tmp" && \
	    mv -f "$(DESTDIR)$(UNITDIR)/hamroh.service.tmp" \
	    "$(DESTDIR)$(UNITDIR)/hamroh.service"

-include $(shell find build -name '*.d' 2>/dev/null)

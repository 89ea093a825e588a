# mailmirror - top-level build.
#
#   make            libimap4 (static and shared), mailmirrord, mailmirror
#   make check      installs what is missing (Debian 12), runs every test:
#                   unit tests under ASan/UBSan, integration tests against a
#                   throwaway Dovecot, fuzz corpora, the layer check
#   make bench      benchmarks (see tests/bench/)
#   make demo       the daemon against a throwaway Dovecot with sample mail
#   make install    PREFIX=/usr/local DESTDIR=
#
# New source files are picked up by the wildcards below; the folder a file
# lives in decides what it is linked into.

CC       ?= cc
BUILD    ?= build
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
SBINDIR  ?= $(PREFIX)/sbin
LIBDIR   ?= $(PREFIX)/lib
INCDIR   ?= $(PREFIX)/include
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR  ?= $(PREFIX)/lib/systemd/system
USERUNITDIR ?= $(PREFIX)/lib/systemd/user
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
DOCDIR   ?= $(PREFIX)/share/doc/mailmirror

SOVERSION = 0
VERSION   = 0.1.0

OPT      ?= -O2 -g
WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wformat=2 -Wvla -Wno-unused-parameter
CFLAGS   ?= $(OPT)
SAN      ?=
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(SAN) -D_GNU_SOURCE -Icore -Idaemon \
             -DMAILMIRROR_VERSION='"$(VERSION)"'
LDFLAGS  ?=

PKG_CORE   = gnutls zlib
PKG_DAEMON = sqlite3 libconfig libsystemd
# libsystemd is opened at run time, when systemd asks (notify.c).
PKG_DAEMON_LINK = sqlite3 libconfig
PKG_QUERY  = sqlite3
pkgc = $(shell pkg-config --cflags $(1) 2>/dev/null)
pkgl = $(shell pkg-config --libs $(1) 2>/dev/null)

CORE_SRC   = $(sort $(wildcard core/util/*.c core/proto/*.c core/io/*.c core/api/*.c))
CACHE_SRC  = $(sort $(wildcard daemon/cache/*.c))
MIRRORD_SRC = $(sort $(wildcard daemon/mailmirrord/*.c))
QUERY_SRC  = $(sort $(wildcard daemon/mailmirror/*.c))
HARNESS_SRC = $(sort $(wildcard tests/harness/*.c))

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
CORE_OBJ    = $(call obj,$(CORE_SRC))
CORE_PIC    = $(patsubst %.c,$(BUILD)/pic/%.o,$(CORE_SRC))
CACHE_OBJ   = $(call obj,$(CACHE_SRC))
MIRRORD_OBJ = $(call obj,$(MIRRORD_SRC))
QUERY_OBJ   = $(call obj,$(QUERY_SRC))
HARNESS_OBJ = $(call obj,$(HARNESS_SRC))
# everything of a program but its main(), for the tests
MIRRORD_LIB = $(filter-out %/main.o,$(MIRRORD_OBJ))
QUERY_LIB   = $(filter-out %/main.o,$(QUERY_OBJ))

LIBA  = $(BUILD)/libimap4.a
LIBSO = $(BUILD)/libimap4.so.$(SOVERSION)
BINS  = $(BUILD)/mailmirrord $(BUILD)/mailmirror

LIBS_CORE   = $(call pkgl,$(PKG_CORE))
LIBS_DAEMON = $(call pkgl,$(PKG_DAEMON_LINK)) -lpthread
LIBS_QUERY  = $(call pkgl,$(PKG_QUERY))

.PHONY: all lib bin check check-unit check-integration check-fuzz check-layers \
        check-header \
        test-build deps bench demo fuzz install uninstall clean format

all: lib bin

lib: $(LIBA) $(LIBSO) $(BUILD)/libimap4.pc
bin: $(BINS)

$(BUILD)/core/%.o: core/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DIMAP4_BUILDING $(call pkgc,$(PKG_CORE)) -MMD -MP -c $< -o $@

$(BUILD)/pic/core/%.o: core/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DIMAP4_BUILDING -fPIC -fvisibility=hidden $(call pkgc,$(PKG_CORE)) -MMD -MP -c $< -o $@

$(BUILD)/daemon/%.o: daemon/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(call pkgc,$(PKG_DAEMON)) -MMD -MP -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests $(call pkgc,$(PKG_DAEMON) $(PKG_CORE) criterion) -MMD -MP -c $< -o $@

$(LIBA): $(CORE_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(LIBSO): $(CORE_PIC)
	$(CC) -shared -Wl,-soname,libimap4.so.$(SOVERSION) $(SAN) $(LDFLAGS) -o $@ $^ $(LIBS_CORE)
	ln -sf libimap4.so.$(SOVERSION) $(BUILD)/libimap4.so

$(BUILD)/libimap4.pc: core/libimap4.pc.in
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCDIR@|$(INCDIR)|; s|@VERSION@|$(VERSION)|' $< > $@

$(BUILD)/mailmirrord: $(MIRRORD_OBJ) $(CACHE_OBJ) $(LIBA)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $(MIRRORD_OBJ) $(CACHE_OBJ) $(LIBA) $(LIBS_DAEMON) $(LIBS_CORE)

$(BUILD)/mailmirror: $(QUERY_OBJ) $(CACHE_OBJ)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $(QUERY_OBJ) $(CACHE_OBJ) $(LIBS_QUERY)

# ---------------------------------------------------------------- tests
# One criterion binary per test folder.
TEST_CORE_SRC  = $(sort $(wildcard tests/core/*.c))
TEST_DAEMON_SRC = $(sort $(wildcard tests/daemon/*.c))
TEST_INTEG_SRC = $(sort $(wildcard tests/integration/*.c))
FUZZ_SRC       = $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_APP_SRC   = $(sort $(wildcard tests/fuzz/daemon/fuzz_*.c))

TEST_BINS = $(BUILD)/tests/unit-core $(BUILD)/tests/unit-daemon $(BUILD)/tests/integration-tests
TEST_LIBS = $(call pkgl,criterion) $(LIBS_DAEMON) $(LIBS_CORE) -lutil

$(BUILD)/tests/unit-core: $(call obj,$(TEST_CORE_SRC)) $(HARNESS_OBJ) $(LIBA)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(TEST_LIBS)

$(BUILD)/tests/unit-daemon: $(call obj,$(TEST_DAEMON_SRC)) $(HARNESS_OBJ) $(MIRRORD_LIB) $(QUERY_LIB) $(CACHE_OBJ) $(LIBA)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(TEST_LIBS)

$(BUILD)/tests/integration-tests: $(call obj,$(TEST_INTEG_SRC)) $(HARNESS_OBJ) $(MIRRORD_LIB) $(CACHE_OBJ) $(LIBA)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(TEST_LIBS)

# Fuzz targets: replayed over their corpora by a plain driver in `make check`,
# built with libFuzzer by `make fuzz`.
FUZZ_BINS = $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC)) \
            $(patsubst tests/fuzz/daemon/%.c,$(BUILD)/fuzz/%,$(FUZZ_APP_SRC))
$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/replay.c $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(call pkgc,$(PKG_CORE)) -o $@ $< tests/fuzz/replay.c $(LIBA) $(LIBS_CORE)
# Targets of the applications: the daemon's configuration, the query
# tool's search syntax.
$(BUILD)/fuzz/fuzz_config: tests/fuzz/daemon/fuzz_config.c tests/fuzz/replay.c $(MIRRORD_LIB) $(CACHE_OBJ) $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(call pkgc,$(PKG_DAEMON) $(PKG_CORE)) -o $@ $< tests/fuzz/replay.c $(MIRRORD_LIB) $(CACHE_OBJ) $(LIBA) $(LIBS_DAEMON) $(LIBS_CORE)
$(BUILD)/fuzz/fuzz_query: tests/fuzz/daemon/fuzz_query.c tests/fuzz/replay.c $(QUERY_LIB) $(CACHE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(call pkgc,$(PKG_QUERY)) -o $@ $< tests/fuzz/replay.c $(QUERY_LIB) $(CACHE_OBJ) $(LIBS_QUERY)

test-build: $(TEST_BINS) $(FUZZ_BINS) $(BINS)

SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
CHECK_BUILD = $(BUILD)/san

deps:
	@tests/harness/install-deps.sh

# `make check` is what CI runs: everything, sanitizers on; its build uses
# every core.
CHECK_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# Each phase's start is stamped, to see where the minutes go.
check: deps
	@echo "check: building, $$(date -u +%T)"
	$(MAKE) --no-print-directory -j$(CHECK_JOBS) BUILD=$(CHECK_BUILD) SAN="$(SANFLAGS)" OPT="-O1 -g" test-build
	@rm -f $(CHECK_BUILD)/check.log
	@echo "check: testing, $$(date -u +%T)"
	$(MAKE) --no-print-directory BUILD=$(CHECK_BUILD) check-layers check-header check-unit check-fuzz check-integration
	@echo "check: installing, $$(date -u +%T)"
# check-install.sh's own `make install` would build it on one core.
	$(MAKE) --no-print-directory -j$(CHECK_JOBS) BUILD=$(BUILD)/inst all
	tests/harness/check-install.sh $(BUILD)/inst
	@echo "check: done, $$(date -u +%T)"
	@tests/harness/summary.sh $(CHECK_BUILD)/check.log

CRITERION_ARGS ?= --jobs 2
# The integration tests spend most of their time waiting on Dovecot and on
# the daemons they start, not on a core: on 2 cores the suite took 485 s
# at --jobs 2 and 322 s at --jobs 4 (CI, make check's sanitized build).
# Three, not four: Dovecot 2.3 lets NOTIFY news go untold (20 s and more)
# when many sessions of one user change its mailboxes at once, as four
# jobs on a loaded machine made them (dovecot/notify_news_is_typed_while_
# idling, with no daemon in it, failed so). Given after CRITERION_ARGS,
# whose --jobs it overrides.
INTEGRATION_JOBS ?= 3
export ASAN_OPTIONS ?= detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS ?= suppressions=$(CURDIR)/tests/lsan.supp

RUN_SUITE = tests/harness/run-suite.sh $(BUILD)/check.log

check-unit:
	$(RUN_SUITE) $(BUILD)/tests/unit-core $(CRITERION_ARGS)
	$(RUN_SUITE) $(BUILD)/tests/unit-daemon $(CRITERION_ARGS)

check-fuzz:
	@set -e; for f in $(FUZZ_BINS); do \
	  n=$$(basename $$f); echo "replay $$n"; \
	  $$f tests/fuzz/corpus/$${n#fuzz_}; done

# The "serial" suite restarts the shared Dovecot, so it runs alone, after
# the parallel pass, in the same Dovecot.
check-integration:
	BUILD=$(BUILD) tests/harness/with-dovecot.sh sh -c '$(RUN_SUITE) $(BUILD)/tests/integration-tests $(CRITERION_ARGS) --jobs $(INTEGRATION_JOBS) && MM_SERIAL=1 $(RUN_SUITE) $(BUILD)/tests/integration-tests --filter "serial/*"' 
	tests/daemon/check-units.sh

# proto/ and io/ never include each other, and the sans-I/O parser never
# calls the system's I/O.
check-layers:
	@tests/harness/check-layers.sh $(BUILD)

# The public header compiles as C++ (g++, clang++) and keeps its C hints.
check-header:
	@tests/core/check-header.sh

fuzz:
	@tests/fuzz/run-libfuzzer.sh

bench:
	@EXTRA_PKGS="isync offlineimap3 linux-perf" tests/harness/install-deps.sh
	$(MAKE) --no-print-directory BUILD=$(BUILD)/bench OPT="-O2 -g -DNDEBUG" all
	tests/bench/run.sh $(BUILD)/bench

demo: deps
	$(MAKE) --no-print-directory all
	tests/harness/demo.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
	  $(DESTDIR)$(INCDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(USERUNITDIR) \
	  $(DESTDIR)$(DOCDIR)
	install -m 755 $(BUILD)/mailmirrord $(DESTDIR)$(SBINDIR)/mailmirrord
	install -m 755 $(BUILD)/mailmirror $(DESTDIR)$(BINDIR)/mailmirror
	install -m 644 $(LIBA) $(DESTDIR)$(LIBDIR)/libimap4.a
	install -m 755 $(LIBSO) $(DESTDIR)$(LIBDIR)/libimap4.so.$(SOVERSION)
	ln -sf libimap4.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libimap4.so
	install -m 644 core/imap4.h $(DESTDIR)$(INCDIR)/imap4.h
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCDIR@|$(INCDIR)|; s|@VERSION@|$(VERSION)|' \
	  core/libimap4.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libimap4.pc
	chmod 644 $(DESTDIR)$(LIBDIR)/pkgconfig/libimap4.pc
	for m in $(wildcard daemon/*/*.[158] conf/*.[158]); do \
	  d=$(DESTDIR)$(MANDIR)/man$${m##*.}/$$(basename $$m); \
	  sed 's|@DOCDIR@|$(DOCDIR)|g' $$m > $$d && chmod 644 $$d; done
	for u in $(wildcard systemd/*.service); do \
	  sed 's|@SBINDIR@|$(SBINDIR)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' $$u > $(DESTDIR)$(UNITDIR)/$$(basename $$u); \
	  chmod 644 $(DESTDIR)$(UNITDIR)/$$(basename $$u); done
	install -d $(DESTDIR)$(SYSUSERSDIR)
	install -m 644 systemd/mailmirror.sysusers $(DESTDIR)$(SYSUSERSDIR)/mailmirror.conf
	for u in $(wildcard systemd/user/*.service); do \
	  sed 's|@SBINDIR@|$(SBINDIR)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' $$u > $(DESTDIR)$(USERUNITDIR)/$$(basename $$u); \
	  chmod 644 $(DESTDIR)$(USERUNITDIR)/$$(basename $$u); done
	install -m 644 conf/mailmirror.conf.example $(DESTDIR)$(DOCDIR)/mailmirror.conf.example
	install -m 644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -m 644 daemon/cache/schema.md $(DESTDIR)$(DOCDIR)/schema.md

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/mailmirrord $(DESTDIR)$(BINDIR)/mailmirror \
	  $(DESTDIR)$(LIBDIR)/libimap4.a $(DESTDIR)$(LIBDIR)/libimap4.so \
	  $(DESTDIR)$(LIBDIR)/libimap4.so.$(SOVERSION) $(DESTDIR)$(INCDIR)/imap4.h \
	  $(DESTDIR)$(LIBDIR)/pkgconfig/libimap4.pc
	for m in $(notdir $(wildcard daemon/*/*.1 conf/*.1)); do rm -f $(DESTDIR)$(MANDIR)/man1/$$m; done
	for m in $(notdir $(wildcard daemon/*/*.5 conf/*.5)); do rm -f $(DESTDIR)$(MANDIR)/man5/$$m; done
	for m in $(notdir $(wildcard daemon/*/*.8 conf/*.8)); do rm -f $(DESTDIR)$(MANDIR)/man8/$$m; done
	for u in $(notdir $(wildcard systemd/*.service)); do rm -f $(DESTDIR)$(UNITDIR)/$$u; done
	for u in $(notdir $(wildcard systemd/user/*.service)); do rm -f $(DESTDIR)$(USERUNITDIR)/$$u; done
	rm -f $(DESTDIR)$(SYSUSERSDIR)/mailmirror.conf
	rm -f $(DESTDIR)$(DOCDIR)/mailmirror.conf.example \
	  $(DESTDIR)$(DOCDIR)/README.md $(DESTDIR)$(DOCDIR)/schema.md
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

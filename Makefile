# denki — peer-to-peer electricity trading, as small C programs
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
DESTDIR ?=

CC ?= cc
CFLAGS ?= -O2 -g
PKGS = libsodium jansson yaml-0.1 sqlite3 libmodbus
# Read once, when make reads this file: make demo and make check install
# what is missing first, then build in a second make that asks again.
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lsodium -ljansson -lyaml -lsqlite3 -lmodbus)
# STATIC_LIBS are linked from their archives where the compiler finds them
# (Debian's -dev packages install them), the others shared: denki-simulate
# starts bid once a home a day, and a start spent a tenth of its time in
# the dynamic loader.  libc, libm and libmodbus (no archive) stay shared;
# make STATIC_LIBS= links every library shared.
STATIC_LIBS ?= sodium jansson yaml sqlite3
archive = $(filter /%,$(shell $(CC) -print-file-name=lib$(1).a))
PKG_LIBS := $(foreach w,$(PKG_LIBS),$(or $(and $(filter $(w),$(STATIC_LIBS:%=-l%)),$(call archive,$(w:-l%=%))),$(w)))
override CFLAGS := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -pthread -Wall -Wextra -Ilib $(PKG_CFLAGS) $(CFLAGS)
LDLIBS += $(PKG_LIBS) -lpthread -ldl -lm

PROGS = keygen registry meter-read bid clear contract-sign settle ledger-verify report ledger-proof proof-verify ledger-export ledger-recover witness statement pay intake submit halt grid-watch kpi battery dispute simulate review
BINS = denki $(addprefix denki-,$(PROGS))

# lib/ is one folder a layer (lib/denki.h is the map), each a static
# library; a layer uses only the layers listed after it.  A program links
# the layers it uses and no other: meter-read and bid, which a household's
# Pi runs, carry no market, settlement or ledger-writing code.
LAYERS = settle market meter ledger crypto core
LIBSRC = $(wildcard $(LAYERS:%=lib/%/*.c))
LIBOBJ = $(LIBSRC:.c=.o)
LIBHDR = lib/denki.h $(wildcard $(LAYERS:%=lib/%/*.h))
layer_a = $(foreach L,$(1),lib/$(L)/libdenki-$(L).a)
ALL_A = $(call layer_a,$(LAYERS))
USES_denki = core
USES_keygen = crypto core
USES_registry = meter ledger crypto core
USES_meter-read = meter ledger crypto core
USES_bid = meter ledger crypto core
USES_clear = market ledger crypto core
USES_contract-sign = settle market meter ledger crypto core
USES_settle = settle market meter ledger crypto core
USES_ledger-verify = settle market meter ledger crypto core
USES_report = settle market meter ledger crypto core
USES_simulate = settle market meter ledger crypto core
USES_ledger-proof = ledger crypto core
USES_proof-verify = ledger crypto core
USES_ledger-export = ledger crypto core
USES_ledger-recover = ledger crypto core
USES_witness = ledger crypto core
USES_statement = settle market meter ledger crypto core
USES_pay = settle market meter ledger crypto core
USES_intake = market meter ledger crypto core
USES_submit = meter ledger crypto core
USES_halt = meter ledger crypto core
USES_grid-watch = meter ledger crypto core
USES_kpi = settle market meter ledger crypto core
USES_battery = meter ledger crypto core
USES_dispute = settle market meter ledger crypto core
USES_review = settle market meter ledger crypto core
UNITSRC = $(wildcard tests/unit/*.c)
UNITBIN = $(UNITSRC:.c=)

all: $(BINS)

define layer_rule
lib/$(1)/libdenki-$(1).a: $$(patsubst %.c,%.o,$$(wildcard lib/$(1)/*.c))
	rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(foreach L,$(LAYERS),$(eval $(call layer_rule,$(L))))

$(LIBOBJ): $(LIBHDR)
# Nothing is compiled before the check.
$(LIBOBJ): | deps-check

.SECONDEXPANSION:
denki: cmd/denki.c $$(call layer_a,$$(USES_denki))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ cmd/denki.c $(call layer_a,$(USES_denki)) $(LDLIBS)

# cmd/common/: the start and the end every program shares (prog.h), an
# archive so that a program links coop.o only when it reads a ledger, and
# coop-write.o (the witnesses' HTTP, lib/meter) only when it writes one;
# cmd/NAME.c is program NAME and nothing else lives in cmd/.
PROGOBJ = cmd/common/prog.o cmd/common/coop.o cmd/common/coop-write.o
$(PROGOBJ): cmd/common/prog.h $(LIBHDR) | deps-check
cmd/common/libprog.a: $(PROGOBJ)
	rm -f $@
	$(AR) rcs $@ $^

denki-%: cmd/%.c cmd/common/libprog.a cmd/common/prog.h $$(call layer_a,$$(USES_$$*))
	$(CC) $(CFLAGS) -Icmd/common $(LDFLAGS) -o $@ $< cmd/common/libprog.a $(call layer_a,$(USES_$*)) $(LDLIBS)

tests/unit/%: tests/unit/%.c $(ALL_A) $(wildcard tests/unit/*.h)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(ALL_A) $(LDLIBS)

# Installs what is missing from Debian's packages (as root), or says what to install.
deps:
	@sh tools/deps.sh

# make all: installs nothing and asks no registry; says what is missing.
deps-check:
	@CC='$(CC)' sh tools/deps.sh -n build

UNITTESTS = $(filter-out tests/unit/sign-record,$(UNITBIN))
# The bats tests wait more than they compute (peers, timeouts, fsync): with
# GNU parallel they run two at a time a core; BATS_JOBS= runs them one by one.
BATS_JOBS ?= $(shell command -v parallel >/dev/null 2>&1 && echo --jobs $$(( $$(nproc) * 2 )))

# make check: installs what is missing, then runs make test.
check:
	@CC='$(CC)' sh tools/deps.sh test
	@$(MAKE) --no-print-directory test

# make test: builds and runs every test; installs nothing.
test: all $(UNITBIN)
	@for t in $(UNITTESTS); do echo "unit: $$t"; \
	    ASAN_OPTIONS=$${UNIT_ASAN_OPTIONS:-$$ASAN_OPTIONS} $$t || exit 1; done
	@if command -v mandoc >/dev/null; then mandoc -Tlint -Wwarning man/*.[157] || exit 1; fi
	@$(MAKE) --no-print-directory fuzz-replay
	bats $(BATS_JOBS) tests

# Leak reports are off for the programs (they exit with their memory); the
# C unit tests of lib/ run with leak detection on.
check-asan:
	$(MAKE) clean
	ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 DENKI_CRASH_ROUNDS=60 \
	UNIT_ASAN_OPTIONS=detect_leaks=1 \
	$(MAKE) check CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" LDFLAGS="-fsanitize=address,undefined"
	$(MAKE) clean

# Fuzzing (tests/fuzz/README): one libFuzzer harness per parser.  `make
# fuzz` builds them with clang and runs each for FUZZ_SECONDS; `make check`
# replays their corpora and regress inputs through the same harnesses built
# as plain programs (tests/fuzz/driver.c), with the compiler of the build.
FUZZ_NAMES = $(patsubst tests/fuzz/fuzz-%.c,%,$(wildcard tests/fuzz/fuzz-*.c))
FUZZ_REPLAY = $(FUZZ_NAMES:%=tests/fuzz/replay-%)
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -pthread -Wall -Wextra -Ilib $(PKG_CFLAGS) \
	-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined
FUZZ_OBJ = $(LIBSRC:lib/%.c=tests/fuzz/build/%.o)

tests/fuzz/replay-%: tests/fuzz/fuzz-%.c tests/fuzz/driver.c tests/fuzz/fuzz.h $(ALL_A)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/driver.c $(ALL_A) $(LDLIBS)

fuzz-replay: $(FUZZ_REPLAY)
	@for n in $(FUZZ_NAMES); do echo "fuzz replay: $$n"; \
	    find tests/fuzz/corpus/$$n tests/fuzz/regress/$$n -type f 2>/dev/null | \
	    sort | ASAN_OPTIONS=$${UNIT_ASAN_OPTIONS:-$$ASAN_OPTIONS} \
	    xargs -r tests/fuzz/replay-$$n || exit 1; done

.PRECIOUS: tests/fuzz/build/%.o
tests/fuzz/build/%.o: lib/%.c $(LIBHDR)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

tests/fuzz/build/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/fuzz.h $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(LDLIBS)

fuzz: $(FUZZ_NAMES:%=tests/fuzz/build/fuzz-%)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh $(FUZZ_NAMES)

demo:
	@CC='$(CC)' sh tools/deps.sh demo
	@$(MAKE) --no-print-directory all
	@sh examples/demo.sh

# the same day through the network: submit, and intake behind lighttpd
demo-net:
	@CC='$(CC)' sh tools/deps.sh demo
	@$(MAKE) --no-print-directory all
	@sh examples/demo.sh -n

tools/gen-book: tools/gen-book.c $(ALL_A)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ tools/gen-book.c $(ALL_A) $(LDLIBS)

# make bench's part forecast (tools/forecast-bench.c)
tools/forecast-bench: tools/forecast-bench.c $(call layer_a,meter ledger crypto core)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ tools/forecast-bench.c $(call layer_a,meter ledger crypto core) $(LDLIBS)

tools/bench-plan: tools/bench-plan.c $(ALL_A)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ tools/bench-plan.c $(ALL_A) $(LDLIBS)

bench: all tools/gen-book tools/forecast-bench tools/bench-plan
	@sh tools/bench.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 0644 man/*.1 $(DESTDIR)$(MANDIR)/man1
	install -m 0644 man/*.5 $(DESTDIR)$(MANDIR)/man5
	install -m 0644 man/*.7 $(DESTDIR)$(MANDIR)/man7
	install -m 0644 completions/bash/denki $(DESTDIR)$(BASHCOMPDIR)/denki
	for p in $(PROGS); do ln -sf denki $(DESTDIR)$(BASHCOMPDIR)/denki-$$p; done
	install -m 0644 completions/zsh/_denki $(DESTDIR)$(ZSHCOMPDIR)/_denki

# Removes exactly what install put there; the directories stay.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(BINS))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(wildcard man/*.1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(wildcard man/*.5)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(wildcard man/*.7)))
	rm -f $(DESTDIR)$(BASHCOMPDIR)/denki $(addprefix $(DESTDIR)$(BASHCOMPDIR)/denki-,$(PROGS))
	rm -f $(DESTDIR)$(ZSHCOMPDIR)/_denki

clean:
	rm -f $(BINS) $(LIBOBJ) $(PROGOBJ) cmd/common/libprog.a $(ALL_A) lib/libdenki.a $(UNITBIN) tools/gen-book tools/forecast-bench tools/bench-plan $(FUZZ_REPLAY)
	rm -f tests/fuzz/build/*.o tests/fuzz/build/fuzz-*

.PHONY: all deps deps-check check test check-asan demo demo-net bench install uninstall clean fuzz fuzz-replay

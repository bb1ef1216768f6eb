# JSNA Area Profiles. `make demo` and `make test` are the two set-up commands (see README).
SOURCES ?= ../shared/data/raw
ENGLAND ?= $(dir $(abspath $(SOURCES)))england
PACK ?= build/coventry.gpkg
HUB ?= Harmony
PY := .venv/bin/python
export QT_QPA_PLATFORM ?= offscreen
export PROJ_DATA ?= /usr/share/proj
export XDG_RUNTIME_DIR ?= /tmp/runtime-$(shell id -u)
export JSNA_SOURCES := $(abspath $(SOURCES))

.PHONY: setup demo pack test lint bench package clean

build/.deps: bin/install-deps requirements-dev.txt
	bin/install-deps
	mkdir -p build && touch $@

setup: build/.deps

pack: build/.deps
	bin/jsna build-pack --sources $(SOURCES) --out $(PACK) \
		$(if $(wildcard $(ENGLAND)/*),--england $(ENGLAND))

demo: pack
	bin/jsna maps --pack $(PACK) --hub $(HUB) --out-dir build/demo
	bin/jsna compare --pack $(PACK) --hub $(HUB) --format xlsx --out build/demo/$(HUB)_comparison.xlsx
	bin/jsna profile --pack $(PACK) --hub $(HUB) --out build/demo/$(shell echo $(HUB) | tr A-Z a-z)_profile.pdf

lint: build/.deps
	$(PY) -m ruff check .

test: build/.deps lint
	$(PY) -m pytest

bench: build/.deps
	/usr/bin/python3 bench/run.py --sources $(SOURCES)

package: build/.deps
	/usr/bin/python3 bin/make-package build/jsna_profiles.zip

clean:
	rm -rf build

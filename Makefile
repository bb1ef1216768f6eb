# JSNA Area Profiles. `make demo` and `make test` are the two set-up commands (see README).
SOURCES ?= ../shared/data/raw
ENGLAND ?= $(dir $(abspath $(SOURCES)))england
PACK ?= build/coventry.gpkg
PACK_2019 ?= build/coventry_2019.gpkg
HUB ?= Harmony
PY := .venv/bin/python
export QT_QPA_PLATFORM ?= offscreen
export PROJ_DATA ?= /usr/share/proj
export XDG_RUNTIME_DIR ?= /tmp/runtime-$(shell id -u)
export JSNA_SOURCES := $(abspath $(SOURCES))

.PHONY: setup demo pack pack-2019 test test-qgis340 lint bench bench-qgis340 package clean

build/.deps: bin/install-deps requirements-dev.txt
	bin/install-deps
	mkdir -p build && touch $@

setup: build/.deps

# The 2025 edition (IoD 2025, Census 2021, 2021 small areas), and the seed's 2019 edition.
pack: build/.deps
	bin/jsna build-pack --sources $(SOURCES) --out $(PACK) --edition 2025 \
		$(if $(wildcard $(ENGLAND)/*),--england $(ENGLAND))

pack-2019: build/.deps
	bin/jsna build-pack --sources $(SOURCES) --out $(PACK_2019) --edition 2019 \
		$(if $(wildcard $(ENGLAND)/*),--england $(ENGLAND))

# Harmony's maps, workbook and profile from each edition (the 2019 ones in build/demo/2019).
demo: pack pack-2019
	bin/jsna maps --pack $(PACK) --hub $(HUB) --out-dir build/demo
	bin/jsna compare --pack $(PACK) --hub $(HUB) --format xlsx --out build/demo/$(HUB)_comparison.xlsx
	bin/jsna profile --pack $(PACK) --hub $(HUB) --out build/demo/$(shell echo $(HUB) | tr A-Z a-z)_profile.pdf
	bin/jsna profile --pack $(PACK) --hub $(HUB) --out build/demo/$(shell echo $(HUB) | tr A-Z a-z)_profile.docx
	bin/jsna maps --pack $(PACK_2019) --hub $(HUB) --out-dir build/demo/2019
	bin/jsna compare --pack $(PACK_2019) --hub $(HUB) --format xlsx --out build/demo/2019/$(HUB)_comparison.xlsx
	bin/jsna profile --pack $(PACK_2019) --hub $(HUB) --out build/demo/2019/$(shell echo $(HUB) | tr A-Z a-z)_profile.pdf

lint: build/.deps
	$(PY) -m ruff check .

# pytest-qgis keeps QGIS's settings in .qgis-settings (ignored): each run starts from none.
test: build/.deps lint
	rm -rf .qgis-settings
	$(PY) -m pytest $(PYTEST_ARGS)

# The same suite on QGIS 3.40 LTR, in a Debian 13 root filesystem cached in build/ (needs root).
# Either target takes PYTEST_ARGS, for example PYTEST_ARGS="tests/test_layouts.py -x".
test-qgis340:
	bin/test-qgis340

bench: build/.deps
	/usr/bin/python3 bench/run.py --sources $(SOURCES)

bench-qgis340:
	/usr/bin/python3 bench/qgis340.py $(BENCH_ARGS)

package: build/.deps
	/usr/bin/python3 bin/make-package build/jsna_profiles.zip

clean:
	rm -rf build

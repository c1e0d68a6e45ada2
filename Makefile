# Canopy: two commands on a fresh Debian machine.
#   make run   set-up, then the gallery show on the built-in default config
#   make test  set-up, lint (ruff, mypy), then the whole test suite
# On a gallery machine, as the kiosk user (README: "Installing on a gallery machine"):
#   make install-gallery VENUE=hardware_config/gallery-example.toml
#   make uninstall-gallery
.PHONY: run test setup setup-test lint validate bench soak soak-show stills demo clean \
	install-gallery uninstall-gallery

VENV := .venv
PY := $(VENV)/bin/python
CANOPY := $(VENV)/bin/canopy

run: setup
	$(CANOPY) run --config hardware_config/default.toml

test: setup-test
	$(PY) -m ruff check installation tests sketches scripts
	$(PY) -m ruff format --check installation tests sketches scripts
	$(PY) -m mypy
	bash scripts/run_tests.sh

setup:
	bash scripts/setup.sh run

setup-test:
	bash scripts/setup.sh test

lint: setup-test
	$(PY) -m ruff check installation tests sketches scripts
	$(PY) -m ruff format --check installation tests sketches scripts
	$(PY) -m mypy

validate: setup
	$(CANOPY) validate

bench: setup
	$(CANOPY) bench sim
	$(CANOPY) bench render
	$(CANOPY) bench live

stills: setup
	$(CANOPY) stills -o docs/stills --size 1280x720

demo: setup
	$(CANOPY) render -o out/verdantia.mp4 --size 1280x720

soak: setup
	$(PY) scripts/soak_sim.py --steps 1000000

soak-show: setup
	$(CANOPY) soak --minutes 60

# The installer runs the set-up itself (and checks the venue with the installed canopy).
install-gallery:
	bash scripts/install_gallery.sh "$(VENUE)"

uninstall-gallery:
	bash scripts/install_gallery.sh --uninstall

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

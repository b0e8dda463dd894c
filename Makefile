# The project's user interface. `make help` lists the targets.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt constraints.txt | cksum | cut -d' ' -f1)
HANDOUT := dist/BatchNormalization-student.zip

.DEFAULT_GOAL := help
.PHONY: help venv sandbox-tools pdf-tools pdf pdfs assign template solutions handout autograder data test bench bench-grade demo grade clean

help: ## Show this list of targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

venv: $(STAMP) ## Create .venv with the pinned dependencies (done automatically when needed)

$(STAMP): requirements.txt constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "$(PYTHON) is not Python 3.11" >&2; exit 1; }
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

assign: template solutions handout ## Regenerate student_template/ and solutions/ from assignment/, run the solutions

template: $(STAMP) ## Regenerate student_template/ and solutions/ (an executed notebook stays when only its outputs differ)
	$(PY) -m autograder.build

solutions: $(STAMP) template ## Execute the solved notebook in solutions/ when its sources changed (FORCE=1: always)
	$(PY) -m autograder.notebooks $(if $(FORCE),,--if-stale) solutions/BatchNormalization.ipynb

handout: $(STAMP) template ## Zip student_template/ into dist/ for students (its README.md and requirements.txt included)
	$(PY) -c 'from autograder import build, paths; print("wrote", build.zip_folder(paths.STUDENT_TEMPLATE, paths.ROOT / "$(HANDOUT)", paths.HANDOUT_TOP))'

autograder: $(STAMP) ## Build the Gradescope autograder zip into dist/autograder.zip (VISIBILITY=visible|after_due_date|after_published|hidden)
	$(PY) -m autograder.package $(if $(VISIBILITY),--visibility $(VISIBILITY))

data: $(STAMP) ## Download and verify CIFAR-10 into data/ (needs internet)
	cd assignment && ../$(PY) -m cs231n.data_utils --download --dir $(CURDIR)/data

sandbox-tools: ## Install Debian's bubblewrap (the sandbox student code runs in) if missing
	@command -v bwrap >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then echo "installing bubblewrap (Debian package)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap; \
	  else echo "bubblewrap (bwrap) is not installed and this is not root: student code will run with weaker protections (see the README, Sandbox)" >&2; fi; }

pdf-tools: ## Install Debian's chromium and poppler-utils (PDF rendering and reading) if missing
	@command -v chromium >/dev/null && command -v pdftotext >/dev/null || { \
	  echo "installing chromium and poppler-utils (Debian packages; needs root)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils; }

pdf: $(STAMP) pdf-tools ## Render a notebook's written answers: make pdf NOTEBOOK=<ipynb> PDF=<file>
	@test -n "$(NOTEBOOK)" -a -n "$(PDF)" || { echo "usage: make pdf NOTEBOOK=<ipynb> PDF=<file>" >&2; exit 2; }
	$(PY) -m autograder.written_answers "$(NOTEBOOK)" "$(PDF)"

test: $(STAMP) sandbox-tools pdf-tools ## Run the test suite
	$(PY) -m pytest tests

bench: $(STAMP) ## Calibrate the speed question on a population of alts, alone, loaded, at half a CPU (GRADINGS=9)
	$(PY) -m autograder.bench --gradings $(or $(GRADINGS),9)

bench-grade: $(STAMP) ## Benchmark make grade against a sequential otter run loop (SUBMISSIONS_N=20 OTTER_RUNS=3)
	$(PY) -m autograder.throughput --submissions $(or $(SUBMISSIONS_N),20) --otter-runs $(or $(OTTER_RUNS),3)

DEMO := dist/demo
DEMO_SOURCES := autograder/demo.py autograder/variants.py autograder/build.py $(shell find solutions student_template -type f -not -path '*/__pycache__/*' 2>/dev/null)

demo: $(DEMO)/README.md ## Build the demo submissions (reference, template, typical mistakes) into dist/demo/

$(DEMO)/README.md: $(DEMO_SOURCES) | $(STAMP)
	$(PY) -m autograder.demo $(DEMO)

grade: $(STAMP) sandbox-tools $(if $(SUBMISSIONS),,$(DEMO)/README.md) ## Grade SUBMISSIONS (default dist/demo) into OUT (default grades/); JOBS= TIMEOUT= MEMORY= ONLY= PDFS=1 (also make pdfs)
	$(PY) -m autograder.batch --submissions "$(or $(SUBMISSIONS),$(DEMO))" --out "$(or $(OUT),grades)" $(if $(JOBS),--jobs $(JOBS)) $(if $(TIMEOUT),--timeout $(TIMEOUT)) $(if $(MEMORY),--memory $(MEMORY)) $(if $(ONLY),--only "$(ONLY)")
	$(if $(PDFS),$(MAKE) --no-print-directory pdfs)

pdfs: $(STAMP) pdf-tools $(if $(SUBMISSIONS),,$(DEMO)/README.md) ## Written-answer PDFs of SUBMISSIONS (default the demo) into OUT (default grades/), plus one merged PDF
	$(PY) -m autograder.written_pdfs "$(or $(SUBMISSIONS),$(DEMO))" "$(or $(OUT),grades)"

clean: ## Remove the virtual environment and build outputs
	rm -rf $(VENV) dist .pytest_cache

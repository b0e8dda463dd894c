# The project's user interface. `make help` lists the targets.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt constraints.txt | cksum | cut -d' ' -f1)
# The assignment every target works on: ASSIGNMENT=<a folder of assignment/>, default the course's.
ASSIGNMENT ?= $(shell sed -n 's/^default *= *"\(.*\)".*/\1/p' assignment/course.toml)
export ASSIGNMENT
OUT_DIST := dist/$(ASSIGNMENT)

.DEFAULT_GOAL := help
.PHONY: canvas help venv sandbox-tools pdf-tools pdf pdfs assign template solutions handout autograder data test bench bench-grade demo demo-export grade similarity clean

help: ## Show this list of targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

venv: $(STAMP) ## Create .venv with the pinned dependencies (done automatically when needed)

$(STAMP): requirements.txt constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "$(PYTHON) is not Python 3.11" >&2; exit 1; }
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	@# uv (pinned) installs the pins in seconds where pip takes minutes (trusting the system's
	@# certificates, as pip does); pip is the fallback. (The environment keeps its pip: the
	@# Gradescope container test mounts it as the image's environment, whose setup.sh runs pip.)
	$(PY) -m pip install --quiet uv -c constraints.txt
	$(VENV)/bin/uv pip install --quiet --system-certs --python $(PY) -r requirements.txt -c constraints.txt \
	  || $(PY) -m pip install --quiet --no-compile -r requirements.txt -c constraints.txt
	@# Bytecode now, as pip would write it (the graders' children and sandboxed workers never
	@# write any), for every module but the packages' own test suites: half the source, never
	@# imported (18 s instead of 22 on two cores).
	$(PY) -m compileall -q -j 0 -x '[/\\]tests?[/\\]' "$$($(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
	touch $@

assign: template solutions handout ## Regenerate student_template/<name>/ and solutions/<name>/ from assignment/ (ASSIGNMENT=<name>), run the solutions

template: $(STAMP) ## Regenerate student_template/<name>/ and solutions/<name>/ unless their stamp says nothing changed (FORCE=1: always; an executed notebook stays when only its outputs differ)
	$(PY) -m autograder.build.assemble --assignment $(ASSIGNMENT) $(if $(FORCE),--force)

solutions: $(STAMP) template ## Execute the solved notebook in solutions/ when its sources changed (FORCE=1: always)
	$(PY) -m autograder.build.notebooks $(if $(FORCE),,--if-stale) solutions/$(ASSIGNMENT)

handout: $(STAMP) template ## Zip student_template/<name>/ into dist/<name>/ for students (its README.md and requirements.txt included)
	$(PY) -c 'from autograder import manifest; from autograder.build import assemble; print("wrote", assemble.handout_zip(manifest.current()))'

autograder: $(STAMP) ## Build the Gradescope autograder zip into dist/<name>/autograder.zip (VISIBILITY=visible|after_due_date|after_published|hidden, TIME_LIMIT=<Gradescope timeout, s>)
	$(PY) -m autograder.gradescope.package $(if $(VISIBILITY),--visibility $(VISIBILITY)) $(if $(TIME_LIMIT),--time-limit $(TIME_LIMIT))

data: $(STAMP) ## Download and verify CIFAR-10 into data/ (needs internet)
	cd assignment && ../$(PY) -m cs231n.data_utils --download --dir $(CURDIR)/data

sandbox-tools: ## Install Debian's bubblewrap (the sandbox student code runs in) and iptables (blocks workers' network at the uid level) if missing
	@if [ "$$(id -u)" = 0 ]; then \
	  { command -v bwrap && command -v iptables; } >/dev/null || { echo "installing bubblewrap and iptables (Debian packages)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap iptables; }; \
	elif ! command -v bwrap >/dev/null; then \
	  echo "bubblewrap (bwrap) is not installed and this is not root: student code will run with weaker protections (see the README, Sandbox)" >&2; fi

pdf-tools: ## Install Debian's chromium and poppler-utils (PDF rendering and reading) if missing
	@command -v chromium >/dev/null && command -v pdftotext >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then echo "installing chromium and poppler-utils (Debian packages)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils; \
	  else echo "chromium or pdftotext is missing and this is not root: run sudo make pdf-tools (or install chromium and poppler-utils), or the PDF steps will say what is missing" >&2; fi; }

pdf: $(STAMP) pdf-tools ## Render a notebook's written answers: make pdf NOTEBOOK=<ipynb> PDF=<file>
	@test -n "$(NOTEBOOK)" -a -n "$(PDF)" || { echo "usage: make pdf NOTEBOOK=<ipynb> PDF=<file>" >&2; exit 2; }
	$(PY) -m autograder.build.written_answers "$(NOTEBOOK)" "$(PDF)"

# The suite writes bytecode as Python does by default, whatever PYTHONDONTWRITEBYTECODE says: with
# it, every process compiled the project's modules again, and every pytest process the tests.
test: $(STAMP) sandbox-tools pdf-tools ## Run the test suite: test files in parallel, longest first (TEST_JOBS=4), then the attack tests alone
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -n $(or $(TEST_JOBS),4) --dist loadfile --no-loadscope-reorder -m "not alone" tests
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -m alone tests

bench: $(STAMP) ## Run the assignment's own bench (batchnorm: calibrate the speed question on its population of alts, in four conditions; GRADINGS=9)
	$(PY) -m autograder.manifest run bench --gradings $(or $(GRADINGS),9)

bench-grade: $(STAMP) ## Benchmark make grade against a sequential otter run loop (SUBMISSIONS_N=20 OTTER_RUNS=3)
	$(PY) -m autograder.measure.throughput --submissions $(or $(SUBMISSIONS_N),20) --otter-runs $(or $(OTTER_RUNS),3)

DEMO := $(OUT_DIST)/demo
DEMO_SOURCES := autograder/build/demo.py autograder/build/variants.py autograder/build/assemble.py assignment/$(ASSIGNMENT)/mistakes.toml $(shell find solutions/$(ASSIGNMENT) student_template/$(ASSIGNMENT) -type f -not -path '*/__pycache__/*' 2>/dev/null)

demo: $(DEMO)/README.md ## Build the demo submissions (reference, template, the assignment's typical mistakes) into dist/<name>/demo/

$(DEMO)/README.md: $(DEMO_SOURCES) | $(STAMP)
	$(PY) -m autograder.build.demo $(DEMO)

grade: $(STAMP) sandbox-tools $(if $(SUBMISSIONS),,$(DEMO)/README.md) ## Grade SUBMISSIONS (a folder, or a Gradescope export zip/folder; default dist/<name>/demo) into OUT (default grades/<name>/); MANUAL=<Gradescope grades CSV of the written questions>|none CANVAS=<Canvas gradebook export: writes OUT/scores_canvas.csv> REVIEW=keep|withhold JOBS= TIMEOUT= MEMORY= ONLY=<submission> PDFS=1
	$(PY) -m autograder.course.grade_command --submissions "$(or $(SUBMISSIONS),$(DEMO))" --out "$(or $(OUT),grades/$(ASSIGNMENT))" $(if $(JOBS),--jobs $(JOBS)) $(if $(TIMEOUT),--timeout $(TIMEOUT)) $(if $(MEMORY),--memory $(MEMORY)) $(if $(ONLY),--only "$(ONLY)") $(if $(filter none,$(MANUAL)),--no-manual,$(if $(MANUAL),--manual "$(MANUAL)")) $(if $(REVIEW),--review $(REVIEW)) $(if $(CANVAS),--canvas "$(CANVAS)")
	$(if $(PDFS),$(MAKE) --no-print-directory pdfs)

demo-export: $(STAMP) $(DEMO)/README.md ## The demo as Gradescope's export (dist/<name>/demo-export/submissions.zip) with a written assignment's grades CSV (written_scores.csv)
	$(PY) -m autograder.build.demo_export $(DEMO) $(OUT_DIST)/demo-export

canvas: $(STAMP) ## Gradescope's grades CSV of the programming assignment into Canvas's import, no grading here (any OS): make canvas SCORES=<Gradescope CSV> CANVAS=<Canvas gradebook export> OUT=<csv, default scores_canvas.csv>
	@test -n "$(SCORES)" -a -n "$(CANVAS)" || { echo "usage: make canvas SCORES=<Gradescope grades CSV> CANVAS=<Canvas gradebook export> [OUT=<csv>]" >&2; exit 2; }
	$(PY) -m autograder.course.upload --gradescope-csv "$(SCORES)" --canvas "$(CANVAS)" --out "$(or $(OUT),scores_canvas.csv)"

similarity: $(STAMP) $(if $(SUBMISSIONS),,$(DEMO)/README.md) ## Pairwise similarity of the students' cs231n code (copydetect) of SUBMISSIONS (default the demo) into OUT (default grades/<name>/): similarity.csv, similarity.html; REFERENCE=<folder of public solutions> THRESHOLD=0.3 MOST=100
	$(PY) -m autograder.course.similarity "$(or $(SUBMISSIONS),$(DEMO))" "$(or $(OUT),grades/$(ASSIGNMENT))" $(if $(REFERENCE),--reference "$(REFERENCE)") $(if $(THRESHOLD),--threshold $(THRESHOLD)) $(if $(MOST),--most $(MOST))

pdfs: $(STAMP) pdf-tools $(if $(SUBMISSIONS),,$(DEMO)/README.md) ## Written-answer PDFs of SUBMISSIONS (default the demo) into OUT (default grades/<name>/), plus one merged PDF
	$(PY) -m autograder.course.written_pdfs "$(or $(SUBMISSIONS),$(DEMO))" "$(or $(OUT),grades/$(ASSIGNMENT))"

clean: ## Remove the virtual environment and build outputs
	rm -rf $(VENV) dist .pytest_cache

"""The engine: builds each assignment of assignment/ and grades its submissions; it names none
of them (each assignment's folder and manifest say everything that is its own).

The flow, one sub-package per step:

- `manifest`, `paths`, `settings`: what an assignment declares, where things live, how grading
  is configured;
- `build/`: from assignment/<name>/ to solutions/<name>/, student_template/<name>/, the handout
  zip and the demo submissions;
- `grading/`: one submission, from a zip to a grade (extract, pipeline, judge, reference,
  feedback, results.json);
- `checks/`: the library hidden checks are written with (each assignment's own checks live in
  its folder);
- `sandbox/` and `runtime/`: where student code runs, and the worker that runs it;
- `course/`: the instructor's tools over a class (make grade's batch, gradebook, report,
  written scores, uploads, similarity, PDFs);
- `gradescope/`: the autograder zip and its entry point in Gradescope's container;
- `measure/`: the throughput benchmark.
"""

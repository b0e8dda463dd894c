"""Building an assignment: the student template, the solutions, the handout and the demo submissions, from assignment/<name>/."""

"""The metadata of a synthetic Gradescope export, shared by the tests of roster.py and of make
grade on an export: a student with a unicode name (and Ruby's BigDecimal score), a group of two,
an entry without submitters, a submitter without an email, a key whose folder is missing."""

METADATA = """\
submission_101:
  :submitters:
  - :name: Zoë Dupont
    :sid: '2024001'
    :email: zoe@example.edu
  :created_at: 2026-03-01 10:00:00.000000000 -08:00
  :score: !ruby/object:BigDecimal 18:0.68E2
  :status: processed
  :history: []
submission_102:
  :submitters:
  - :name: Ana Lima
    :sid: 2024002
    :email: ana@example.edu
  - :name: 王小明
    :sid: 2024003
    :email: wang@example.edu
  :created_at: 2026-03-01 11:00:00.000000000 -08:00
  :score: 40.0
  :status: processed
  :history:
  - :created_at: 2026-02-28 11:00:00.000000000 -08:00
    :score: 10.0
submission_103:
  :created_at: 2026-03-01 12:00:00.000000000 -08:00
submission_104:
  :submitters:
  - :name: No Email
    :sid: 2024005
submission_999:
  :submitters:
  - :name: Ghost Student
    :sid: 2024009
    :email: ghost@example.edu
"""

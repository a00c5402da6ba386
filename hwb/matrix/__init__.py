"""The build matrix: plan it with cibuildwheel, build it, gather what the jobs produced.

- :mod:`hwb.matrix.plan` groups the identifiers :mod:`hwb.matrix.selection` asks cibuildwheel
  for into jobs (runners from :mod:`hwb.matrix.runners`).
- :mod:`hwb.matrix.build` runs cibuildwheel for some identifiers, optionally in parallel.
- :mod:`hwb.matrix.gather` checks the jobs' artifacts against the plan before a release
  (wheel tags against identifiers: :mod:`hwb.matrix.identifiers`).
"""

"""The build matrix: plan it with cibuildwheel, build it, gather what the jobs produced.

- :mod:`hwb.matrix.plan` asks cibuildwheel which identifiers to build and groups them into jobs.
- :mod:`hwb.matrix.build` runs cibuildwheel for some identifiers, optionally in parallel.
- :mod:`hwb.matrix.gather` checks the jobs' artifacts against the plan before a release.
"""

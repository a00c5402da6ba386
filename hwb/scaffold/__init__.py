"""``hwb init-ci``: the release pipeline service (``init_ci``), the project facts it reads
(``detect``) and the YAML it writes (``yamlio``)."""

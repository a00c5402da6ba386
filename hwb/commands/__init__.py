"""Subcommands: each module holds one click command and only wires options to a service;
``options`` has the shared option helpers, ``reports`` the renderers several commands share."""

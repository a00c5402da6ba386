"""Trust: OIDC trusted publishing, PEP 740 attestations, SLSA provenance, verification."""

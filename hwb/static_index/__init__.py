"""Static PEP 503/691 indexes in a folder or an S3 bucket."""

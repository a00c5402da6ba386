"""Publishing: targets, the upload-API and static transports, the ledger, the service."""

# The embedded AWS: `nox -s infra -- local apply` starts a moto server on 127.0.0.1 and passes
# its address as aws_endpoint (and the backend's endpoint); nothing here reaches a real account.
environment                 = "local"
region                      = "us-east-1"
bucket_name                 = "thoth-local-artifacts"
log_level                   = "INFO"
log_retention_days          = 1
mcp_memory_mb               = 512
mcp_provisioned_concurrency = 0
mcp_reserved_concurrency    = -1
refresh_memory_mb           = 2048
secret_recovery_days        = 0
deletion_protection         = false
# moto serves plain http on 127.0.0.1 and enforces bucket policies, so the TLS-only policy stays off here.
require_tls   = false
force_destroy = true
# The rehearsal's sample source: `nox -s refresh_remote -- local` uploads samples/handbook under this
# prefix (tools/ops/rehearsal.py), and the refresh role may read it, as for any `kind: s3` source.
s3_sources = [{ bucket = "thoth-local-artifacts", prefix = "sources/handbook/" }]

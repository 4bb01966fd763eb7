environment        = "prod"
region             = "us-east-1"
log_level          = "INFO"
log_retention_days = 90
mcp_memory_mb      = 1024
# 0 keeps the seed's trade-off (pay per request, accept cold starts); raise to keep instances warm.
mcp_provisioned_concurrency = 0
mcp_reserved_concurrency    = 50
refresh_schedule            = "rate(6 hours)"
secret_recovery_days        = 30
deletion_protection         = true

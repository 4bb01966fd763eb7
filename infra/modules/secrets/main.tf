# Values are set out of band (`aws secretsmanager put-secret-value`); Terraform never holds them.
resource "aws_secretsmanager_secret" "api_key" {
  #checkov:skip=CKV_AWS_149:The AWS-managed aws/secretsmanager key encrypts the secrets; a CMK matters only for cross-account sharing, which Thoth never does
  #checkov:skip=CKV2_AWS_57:The API keys and the GitLab token are issued by people/GitLab, not by AWS; they are rotated by hand (put-secret-value), there is no rotation Lambda to attach
  name                    = "thoth/${var.environment}/api-key"
  description             = "API keys accepted by the Thoth MCP server."
  recovery_window_in_days = var.recovery_days
}

resource "aws_secretsmanager_secret" "gitlab_token" {
  #checkov:skip=CKV_AWS_149:The AWS-managed aws/secretsmanager key encrypts the secrets; a CMK matters only for cross-account sharing, which Thoth never does
  #checkov:skip=CKV2_AWS_57:The API keys and the GitLab token are issued by people/GitLab, not by AWS; they are rotated by hand (put-secret-value), there is no rotation Lambda to attach
  name                    = "thoth/${var.environment}/gitlab-token"
  description             = "Token the refresh service uses to read private GitLab sources."
  recovery_window_in_days = var.recovery_days
}

# Values are set out of band (`aws secretsmanager put-secret-value`); Terraform never holds them.
resource "aws_secretsmanager_secret" "api_key" {
  name                    = "thoth/${var.environment}/api-key"
  description             = "API keys accepted by the Thoth MCP server."
  recovery_window_in_days = var.recovery_days
}

resource "aws_secretsmanager_secret" "gitlab_token" {
  name                    = "thoth/${var.environment}/gitlab-token"
  description             = "Token the refresh service uses to read private GitLab sources."
  recovery_window_in_days = var.recovery_days
}

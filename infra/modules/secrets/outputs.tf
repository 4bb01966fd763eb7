output "api_key_arn" {
  value = aws_secretsmanager_secret.api_key.arn
}

output "gitlab_token_arn" {
  value = aws_secretsmanager_secret.gitlab_token.arn
}

output "cursor_key_arn" {
  value = aws_secretsmanager_secret.cursor_key.arn
}

output "oauth_client_secret_id" {
  value = var.front ? aws_secretsmanager_secret.oauth_client_secret[0].id : ""
}

output "front_secret_arns" {
  description = "The front's secrets (empty without the front)."
  value       = var.front ? [aws_secretsmanager_secret.oauth_client_secret[0].arn, aws_secretsmanager_secret.oauth_signing_key[0].arn] : []
}

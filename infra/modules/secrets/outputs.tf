output "api_key_arn" {
  value = aws_secretsmanager_secret.api_key.arn
}

output "gitlab_token_arn" {
  value = aws_secretsmanager_secret.gitlab_token.arn
}

output "cursor_key_arn" {
  value = aws_secretsmanager_secret.cursor_key.arn
}

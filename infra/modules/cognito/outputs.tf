output "issuer" {
  description = "THOTH_OAUTH_ISSUER: the iss of the pool's tokens."
  value       = local.issuer
}

output "jwks_url" {
  value = "${local.issuer}/.well-known/jwks.json"
}

output "client_id" {
  description = "Direct mode: the public app client (Cognito access tokens name it in client_id; they carry no aud). With the front: its confidential app client."
  value       = var.front ? aws_cognito_user_pool_client.front[0].id : aws_cognito_user_pool_client.mcp[0].id
}

output "scope" {
  value = local.scope
}

output "hosted_domain" {
  value = "https://${aws_cognito_user_pool_domain.this.domain}.auth.${data.aws_region.current.name}.amazoncognito.com"
}

output "user_pool_id" {
  value = aws_cognito_user_pool.this.id
}

output "direct_client_id" {
  description = "Direct mode: the public app client (empty with the front); apart from client_id so the function's environment never depends on the front's client, which depends on the function's URL."
  value       = var.front ? "" : aws_cognito_user_pool_client.mcp[0].id
}

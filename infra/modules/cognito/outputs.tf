output "issuer" {
  description = "THOTH_OAUTH_ISSUER: the iss of the pool's tokens."
  value       = local.issuer
}

output "jwks_url" {
  value = "${local.issuer}/.well-known/jwks.json"
}

output "client_id" {
  description = "The public app client: Cognito access tokens name it in client_id (they carry no aud)."
  value       = aws_cognito_user_pool_client.mcp.id
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

output "environment" {
  value = var.environment
}

output "bucket_name" {
  value = module.storage.bucket_name
}

output "table_name" {
  value = module.state.table_name
}

output "mcp_function_name" {
  value = module.mcp_server.function_name
}

output "mcp_function_url" {
  value = module.mcp_server.function_url
}

output "mcp_http_api_url" {
  value = module.mcp_server.http_api_url
}

output "refresh_function_name" {
  value = module.refresh_service.function_name
}

output "ecr_repository_url" {
  value = module.refresh_service.repository_url
}

output "refresh_queue_url" {
  value = module.refresh_service.queue_url
}

output "alarm_topic_arn" {
  value = module.observability.alarm_topic_arn
}

output "dashboard_name" {
  value = module.observability.dashboard_name
}

output "alarm_names" {
  value = module.observability.alarm_names
}

output "dashboard_body" {
  value = module.observability.dashboard_body
}

output "mcp_edge_url" {
  description = "With enable_waf: the MCP endpoint behind CloudFront + AWS WAF (else empty)."
  value       = var.enable_waf ? module.edge[0].url : ""
}

output "oauth_issuer" {
  description = "The issuer whose access tokens the MCP server accepts (empty: OAuth off); with the front, Thoth itself (its public origin)."
  value       = local.use_front ? trimsuffix(replace(local.front_callback_urls[0], "/oauth/callback", ""), "/") : local.oauth_issuer
  precondition {
    # The function refuses to start so configured: an OpenID ID token for the /mcp URL would pass.
    condition     = var.oauth_issuer == "" || var.oauth_audience != "" || var.oauth_scopes != ""
    error_message = "oauth_issuer needs oauth_scopes (the scope the issuer grants for Thoth) or oauth_audience (the aud of its access tokens, an API identifier): with neither, an OpenID ID token issued for the /mcp URL would pass as an access token."
  }
}

output "oauth_metadata_url" {
  description = "RFC 9728 protected resource metadata of the function URL's /mcp (empty when OAuth is off)."
  value       = length(local.oauth_environment) > 0 && module.mcp_server.function_url != "" ? "${trimsuffix(module.mcp_server.function_url, "/")}/.well-known/oauth-protected-resource/mcp" : ""
}

output "cognito_client_id" {
  description = "Direct mode: the Cognito app client ID to enter in MCP clients that ask for one. With the front: its confidential upstream client (MCP clients need no id). Empty without Cognito."
  value       = var.enable_cognito ? module.cognito[0].client_id : ""
}

output "oauth_front_callback_urls" {
  description = "With the front: the Cognito app client's callbacks (Thoth's /oauth/callback per public origin)."
  value       = local.use_front ? local.front_callback_urls : []
}

output "cognito_hosted_domain" {
  value = var.enable_cognito ? module.cognito[0].hosted_domain : ""
}

output "url" {
  description = "The MCP endpoint behind the WAF: https://<distribution>.cloudfront.net/mcp."
  value       = "https://${aws_cloudfront_distribution.this.domain_name}/mcp"
}

output "web_acl_arn" {
  value = aws_wafv2_web_acl.this.arn
}

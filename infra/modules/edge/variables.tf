variable "name" {
  description = "Name prefix of the web ACL and the distribution, thoth-<env>-mcp-server."
  type        = string
}

variable "http_api_url" {
  description = "Invoke URL of the MCP server's HTTP API (the distribution's origin)."
  type        = string
  validation {
    condition     = startswith(var.http_api_url, "https://")
    error_message = "enable_waf needs the HTTP API (enable_http_api = true): CloudFront and the WAF sit in front of it."
  }
}

variable "rate_limit" {
  description = "Requests per client IP per 5 minutes before the WAF blocks it."
  type        = number
}

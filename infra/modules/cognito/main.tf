# An optional Amazon Cognito authorization server for Thoth's OAuth resource server: a user pool
# (admin-created users only), a resource server with the `thoth/search` scope, a hosted sign-in
# domain and one public app client for the authorization-code flow with PKCE. Cognito offers neither
# dynamic client registration nor client ID metadata documents, so only MCP clients that let the
# user enter a client ID can use it; see infra/README.md for authorization servers that serve
# claude.ai and ChatGPT directly.

resource "aws_cognito_user_pool" "this" {
  name                     = "${var.prefix}-users"
  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]
  deletion_protection      = var.deletion_protection ? "ACTIVE" : "INACTIVE"
  mfa_configuration        = "OPTIONAL"

  software_token_mfa_configuration {
    enabled = true
  }

  # Who may search is an operator's decision: no self sign-up.
  admin_create_user_config {
    allow_admin_create_user_only = true
  }

  password_policy {
    minimum_length                   = 12
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = true
    temporary_password_validity_days = 3
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }
}

resource "aws_cognito_resource_server" "thoth" {
  user_pool_id = aws_cognito_user_pool.this.id
  identifier   = var.resource_server_identifier
  name         = "Thoth handbook search"

  scope {
    scope_name        = var.scope_name
    scope_description = "Search and read the indexed handbooks"
  }
}

resource "aws_cognito_user_pool_domain" "this" {
  domain       = var.domain_prefix
  user_pool_id = aws_cognito_user_pool.this.id
}

# A public client (no secret): MCP clients are native or browser apps that cannot keep one, so the
# authorization-code flow is protected by PKCE instead.
resource "aws_cognito_user_pool_client" "mcp" {
  name                                 = "${var.prefix}-mcp-clients"
  user_pool_id                         = aws_cognito_user_pool.this.id
  generate_secret                      = false
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["code"]
  allowed_oauth_scopes                 = ["openid", "email", local.scope]
  callback_urls                        = var.callback_urls
  logout_urls                          = var.logout_urls
  supported_identity_providers         = ["COGNITO"]
  explicit_auth_flows                  = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]
  prevent_user_existence_errors        = "ENABLED"
  enable_token_revocation              = true
  access_token_validity                = var.access_token_minutes
  id_token_validity                    = var.access_token_minutes
  refresh_token_validity               = var.refresh_token_days

  token_validity_units {
    access_token  = "minutes"
    id_token      = "minutes"
    refresh_token = "days"
  }

  depends_on = [aws_cognito_resource_server.thoth]
}

data "aws_region" "current" {}

locals {
  scope  = "${var.resource_server_identifier}/${var.scope_name}"
  issuer = "https://cognito-idp.${data.aws_region.current.name}.amazonaws.com/${aws_cognito_user_pool.this.id}"
}

# Groups the source-access policy names: a user's groups arrive in the access token as cognito:groups.
resource "aws_cognito_user_group" "source_access" {
  for_each     = toset(var.groups)
  name         = each.value
  user_pool_id = aws_cognito_user_pool.this.id
  description  = "Thoth readers whose sources THOTH_SOURCE_ACCESS grants to the ${each.value} group"
}

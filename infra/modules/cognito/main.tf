# An optional Amazon Cognito user pool that signs people in for Thoth: the pool (admin-created users
# only), a resource server with the `thoth/search` scope and a hosted sign-in domain.
#
# By default (front = true) MCP clients never talk to Cognito: Thoth's authorization-server front
# (THOTH_OAUTH_UPSTREAM) registers them, runs their OAuth flow and mints their tokens, and Cognito
# only signs the person in through ONE confidential app client whose only callback is Thoth's
# /oauth/callback. Cognito offers neither dynamic client registration, nor client ID metadata
# documents, nor RFC 8414 metadata with `code_challenge_methods_supported`, and its access tokens
# carry no `aud`: the MCP clients people use refuse it as their authorization server.
# With front = false, the older direct mode: one public app client whose id MCP clients that let
# the user type one enter, and Thoth accepts the pool's access tokens (THOTH_OAUTH_ISSUER).

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

# Direct mode only: a public client (no secret), for MCP clients that are native or browser apps and
# cannot keep one; the authorization-code flow is protected by PKCE instead.
resource "aws_cognito_user_pool_client" "mcp" {
  count                                = var.front ? 0 : 1
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

moved {
  from = aws_cognito_user_pool_client.mcp
  to   = aws_cognito_user_pool_client.mcp[0]
}

# The front's app client: confidential (Thoth keeps its secret in Secrets Manager), code flow only,
# and Thoth's own callback(s) alone, one per public origin of the function (function URL, HTTP API,
# CloudFront, a custom domain). Its tokens are read once, at sign-in: short lifetimes.
resource "aws_cognito_user_pool_client" "front" {
  count                                = var.front ? 1 : 0
  name                                 = "${var.prefix}-oauth-front"
  user_pool_id                         = aws_cognito_user_pool.this.id
  generate_secret                      = true
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["code"]
  allowed_oauth_scopes                 = ["openid", "email"]
  callback_urls                        = var.front_callback_urls
  supported_identity_providers         = ["COGNITO"]
  explicit_auth_flows                  = ["ALLOW_REFRESH_TOKEN_AUTH"]
  prevent_user_existence_errors        = "ENABLED"
  enable_token_revocation              = true
  access_token_validity                = 5
  id_token_validity                    = 5
  refresh_token_validity               = 1

  token_validity_units {
    access_token  = "minutes"
    id_token      = "minutes"
    refresh_token = "hours"
  }
}

# The client id travels with its secret: the function cannot name the client in its environment,
# since the client names the function's URL as its callback (a dependency cycle otherwise).
resource "aws_secretsmanager_secret_version" "front_client" {
  count     = var.front ? 1 : 0
  secret_id = var.front_client_secret_id
  secret_string = jsonencode({
    client_id     = aws_cognito_user_pool_client.front[0].id
    client_secret = aws_cognito_user_pool_client.front[0].client_secret
  })
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

"""A Cognito user pool on a moto server: the real AWS API (boto3) issuing real RS256 access tokens.

moto signs with its fixed key and serves the pool's JWKS at `<endpoint>/<pool id>/.well-known/jwks.json`,
while its tokens name the real issuer (`https://cognito-idp.<region>.amazonaws.com/<pool id>`): Thoth
is pointed at that issuer, with THOTH_OAUTH_JWKS_URL at the moto server.
"""

from __future__ import annotations

from dataclasses import dataclass

import boto3

REGION = "us-east-1"
PASSWORD = "Corr3ct-Horse-Battery!"


@dataclass(frozen=True)
class CognitoPool:
    endpoint: str
    pool_id: str
    client_id: str
    other_client_id: str

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{REGION}.amazonaws.com/{self.pool_id}"

    @property
    def jwks_url(self) -> str:
        return f"{self.endpoint}/{self.pool_id}/.well-known/jwks.json"

    def client(self):  # type: ignore[no-untyped-def]
        return boto3.client(
            "cognito-idp",
            region_name=REGION,
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def sign_in(self, username: str = "alice@example.com", client_id: str | None = None) -> dict[str, str]:
        """AccessToken, IdToken and RefreshToken of a password sign-in (ADMIN_USER_PASSWORD_AUTH)."""
        reply = self.client().admin_initiate_auth(
            UserPoolId=self.pool_id,
            ClientId=client_id or self.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )
        tokens: dict[str, str] = reply["AuthenticationResult"]
        return tokens

    def env(self, **extra: str) -> dict[str, str]:
        """The THOTH_OAUTH_* settings for this pool (audience: the app client, as Terraform sets it)."""
        return {
            "THOTH_OAUTH_ISSUER": self.issuer,
            "THOTH_OAUTH_AUDIENCE": self.client_id,
            "THOTH_OAUTH_JWKS_URL": self.jwks_url,
            **extra,
        }


def create_pool(endpoint: str, username: str = "alice@example.com") -> CognitoPool:
    """A pool with a resource server (scope thoth/search), two app clients and one confirmed user."""
    cognito = boto3.client(
        "cognito-idp", region_name=REGION, endpoint_url=endpoint,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    pool = cognito.create_user_pool(PoolName="thoth-test")["UserPool"]["Id"]
    cognito.create_resource_server(
        UserPoolId=pool,
        Identifier="thoth",
        Name="Thoth",
        Scopes=[{"ScopeName": "search", "ScopeDescription": "x"}],
    )
    clients = [
        cognito.create_user_pool_client(
            UserPoolId=pool,
            ClientName=name,
            ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            AllowedOAuthFlows=["code"],
            AllowedOAuthScopes=["thoth/search", "openid"],
            AllowedOAuthFlowsUserPoolClient=True,
            CallbackURLs=["http://localhost:33418/callback"],
        )["UserPoolClient"]["ClientId"]
        for name in ("thoth-mcp", "another-app")
    ]
    cognito.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool, Username=username, Password=PASSWORD, Permanent=True)
    return CognitoPool(endpoint, pool, clients[0], clients[1])

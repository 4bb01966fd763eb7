"""One environment's context: its names, the AWS CLI pointed at it, and (for `local`) the embedded AWS."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tools import embedded_aws
from tools.aws.awscli import AwsCli
from tools.aws.callcount import ServerLog
from tools.aws.envs import Env, resolve


@dataclass
class Session:
    env: Env
    cli: AwsCli
    local: embedded_aws.LocalAws | None = None
    started_local: bool = False
    _account: str = field(default="", repr=False)

    @classmethod
    def open(cls, name: str) -> Session:
        """Resolve `name`; for `local` start (or reuse) the moto server and registry first."""
        env = resolve(name)
        if env.embedded:
            local, started = embedded_aws.ensure()
            if started:
                print(f"embedded AWS started: moto {local.aws_endpoint}, registry {local.registry}")
            else:
                print(f"embedded AWS reused: moto {local.aws_endpoint}, registry {local.registry}")
            return cls(env, AwsCli(env=local.cli_env(env.region), region=env.region), local, started)
        return cls(env, AwsCli(env={}, region=env.region))

    def check_credentials(self) -> None:
        """Fail early, with the fix, when no usable credentials are configured."""
        self.account_id()

    def account_id(self) -> str:
        if not self._account:
            identity = self.cli.run("sts", "get-caller-identity")
            self._account = str(identity["Account"])
        return self._account

    def server_log(self) -> ServerLog | None:
        """The embedded AWS's request recording (None against real AWS)."""
        if self.local is None:
            return None
        return ServerLog(Path(self.local.recording), Path(self.local.registry_log))

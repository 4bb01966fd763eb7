"""Talking to AWS (or the embedded one): the AWS CLI wrapper, one environment's session and names, API-call
counts, and the errors the deploy and ops tooling stop on."""

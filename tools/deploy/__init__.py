"""Provision with Terraform and ship code with the AWS CLI (`nox -s infra|deploy|rollback|logs|doctor`)."""

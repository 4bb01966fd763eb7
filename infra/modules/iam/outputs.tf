output "mcp_role_arn" {
  value = aws_iam_role.mcp.arn
}

output "refresh_role_arn" {
  value = aws_iam_role.refresh.arn
}

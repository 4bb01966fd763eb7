# Live pointers, file hashes, locks and run reports (see thoth.shared.state.dynamodb).
resource "aws_dynamodb_table" "this" {
  #checkov:skip=CKV_AWS_119:The state table holds live pointers, file hashes and run reports, no secrets; DynamoDB's default encryption at rest covers it
  name                        = var.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }
}

# Remote state of dev; the bucket and lock table are created once by hand (see infra/README.md).
bucket       = "thoth-terraform-state"
key          = "thoth/dev/terraform.tfstate"
region       = "us-east-1"
encrypt      = true
use_lockfile = true
